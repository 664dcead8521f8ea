from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Cases")

    def ready(self):
        # Imported here, once the models are loaded: the monitor's spells follow every recorded
        # event that changes a case's dated facts (casework.monitor.spells).
        from casework.models import history
        from casework.monitor import spells

        if spells.on_events not in history.after_recorded:
            history.after_recorded.append(spells.on_events)
