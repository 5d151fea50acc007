from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo county builder: an app of its own (no models) so `lianxin demo` is found here
    and core never imports it; it sits above every domain app, whose services it calls."""

    name = "lianxin.demo"
    label = "demo"
    verbose_name = "演示数据"
