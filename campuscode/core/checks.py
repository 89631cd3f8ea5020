"""Deployment checks of our own, run by `campuscode check --deploy`."""

import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def private_files(app_configs, **kwargs):
    """The data folder, the SQLite file and the keys folder are for the service's user only:
    folders made before the umask (or copied in by hand) may still be open to others."""
    candidates = [Path(settings.DATA_DIR), Path(settings.CODE_KEYS_DIR), Path(settings.MEDIA_ROOT)]
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = Path(database["NAME"])
        candidates += [name, Path(f"{name}-wal"), Path(f"{name}-shm")]
    open_to_others = [
        str(path)
        for path in candidates
        if path.exists() and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    ]
    if not open_to_others:
        return []
    return [
        Warning(
            "Readable by other users of this machine: " + ", ".join(open_to_others),
            hint="chmod -R go-rwx on each; the application creates new files 0600/0700.",
            id="campuscode.W001",
        )
    ]
