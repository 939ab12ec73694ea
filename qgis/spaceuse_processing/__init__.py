"""spaceuse's Processing provider for QGIS (3.22 and later; ready for QGIS 4)."""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import SpaceusePlugin

    return SpaceusePlugin(iface)
