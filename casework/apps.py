from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Cases")

    def ready(self):
        # Imported here, once the models are loaded: the monitor's derived rows (rollup, milestones,
        # spells) follow every recorded event (casework.monitor.derived).
        from casework.models import history
        from casework.monitor import derived

        if derived.write not in history.after_recorded:
            history.after_recorded.append(derived.write)
