from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "lianxin.stories"
    label = "stories"
    verbose_name = "干部日记与暖心故事"
