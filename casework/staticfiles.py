"""Which apps' static files casework collects and serves.

viewflow ships the assets of its own Material front end in its app's static folder: about 150
fonts, scripts, styles and source maps. casework uses none of them. Its pages, the error pages
included, have their own layout (templates/), and the viewflow views and admin classes that would
load those assets are not mounted. One of the files, a copy of the Roboto font's stylesheet left
under `viewflow/fonts/roboto/node_modules/`, points to font files that are not beside it, so
`collectstatic` with the manifest storage of production stopped at it (whitenoise's
MissingFileError) and production could not start.

So the finder leaves viewflow's static folder out: `collectstatic` does not copy it, and whitenoise
does not serve it (from the finders under `make run` and in the tests, from STATIC_ROOT in
production). The manifest storage stays strict for every file casework does ship: a reference
to a missing file in casework's own CSS still stops `collectstatic`.
"""

from django.apps import apps
from django.contrib.staticfiles import finders

# Apps (by their module name, and their sub-apps) whose static folder is not collected.
NOT_COLLECTED = ("viewflow",)


def collected(app_name: str) -> bool:
    return not any(app_name == name or app_name.startswith(name + ".") for name in NOT_COLLECTED)


class AppDirectoriesFinder(finders.AppDirectoriesFinder):
    """Django's finder for the apps' `static/` folders, without the apps in NOT_COLLECTED."""

    def __init__(self, app_names=None, *args, **kwargs):
        if app_names is None:
            app_names = [config.name for config in apps.get_app_configs() if collected(config.name)]
        super().__init__(app_names, *args, **kwargs)
