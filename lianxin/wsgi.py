import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
application = get_wsgi_application()

# Before the first request: refuse to serve with a key the database contradicts.
from lianxin.core.keys import refuse_wrong_keys  # noqa: E402

refuse_wrong_keys()
