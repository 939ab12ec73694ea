"""The spaceuse Processing provider: one algorithm per command of `spaceuse describe --json`."""

import os

from qgis.core import Qgis, QgsMessageLog, QgsProcessingProvider, QgsSettings
from qgis.PyQt.QtGui import QIcon

from . import spaceuse_cli
from .algorithm import SpaceuseAlgorithm


class SpaceuseProvider(QgsProcessingProvider):
    def __init__(self):
        super().__init__()
        self._description = None
        self._problem = None
        self._executable = None

    # -- identity -------------------------------------------------------------------------
    def id(self):
        return "spaceuse"

    def name(self):
        return "spaceuse"

    def longName(self):  # noqa: N802
        if self._description is not None:
            return "spaceuse %s" % self._description.get("version", "")
        return "spaceuse"

    def icon(self):
        return QIcon(os.path.join(os.path.dirname(__file__), "icon.svg"))

    def warningMessage(self):  # noqa: N802
        return self._problem or ""

    # -- the program ----------------------------------------------------------------------
    def _describe(self):
        """Loads the description once; keeps the reason when spaceuse cannot be used."""
        if self._description is not None or self._problem is not None:
            return
        configured = QgsSettings().value(spaceuse_cli.SETTINGS_KEY, "", type=str)
        self._executable = spaceuse_cli.find_executable(configured or None)
        try:
            self._description = spaceuse_cli.load_description(self._executable)
        except (spaceuse_cli.DescriptionError, ValueError) as e:
            self._problem = str(e)
            QgsMessageLog.logMessage("spaceuse provider not available: %s" % e, "Processing",
                                     Qgis.MessageLevel.Critical)

    def canBeActivated(self):  # noqa: N802
        # Compatibility, not an exact version: any spaceuse whose description format this
        # plugin reads.
        self._describe()
        return self._description is not None

    def load(self):
        self._describe()
        self.refreshAlgorithms()
        return True

    def loadAlgorithms(self):  # noqa: N802
        self._describe()
        if self._description is None:
            return
        for command in self._description.get("commands", []):
            self.addAlgorithm(SpaceuseAlgorithm(command, self._executable))
