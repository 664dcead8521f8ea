"""Settings for casework.

Twelve-factor: every setting comes from the environment, with embedded defaults
(SQLite file, in-memory channel layer, local-memory cache, eager Celery) so that
`make run` needs no service at all. `CASEWORK_ENV=production` refuses to start
with any of those defaults and switches on the deployment hardening that
`manage.py check --deploy` asks for.

One module per concern, read in this order (a later one may use an earlier one's settings):
environment, database, core (apps, middleware, templates), i18n, files (static files, storages,
documents), backends (channel layer, cache, Celery), product (notifications, e-mail, retention,
clocks), api, security (sign-in, sessions, two factors, headers), logs, production (the refusals).
"""

# In this order, not alphabetical: the refusals come in the order the old single module made them
# (embedded defaults, document storage, API token lifetime, unsafe production settings).
# isort: off
from casework.settings.environment import *  # noqa: F403
from casework.settings.database import *  # noqa: F403
from casework.settings.core import *  # noqa: F403
from casework.settings.i18n import *  # noqa: F403
from casework.settings.files import *  # noqa: F403
from casework.settings.backends import *  # noqa: F403
from casework.settings.product import *  # noqa: F403
from casework.settings.api import *  # noqa: F403
from casework.settings.security import *  # noqa: F403
from casework.settings.logs import *  # noqa: F403
from casework.settings.production import *  # noqa: F403
# isort: on
