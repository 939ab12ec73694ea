"""One Processing algorithm for one spaceuse command, built from its description.

Parameters come from `spaceuse describe --json` (names upper-cased: --zones → ZONES); layers of
any provider are handed to spaceuse as files (selection and filters honoured by QGIS's own
export); spaceuse runs as a child process (spaceuse_cli.run_process: cancelling the algorithm
stops it); its JSON-lines progress and messages feed the feedback; its outputs load into the project
with their styles.
"""

import json
import os
import tempfile

from qgis.core import (
    QgsDataSourceUri,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputFile,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterProviderConnection,
    QgsProcessingParameterString,
    QgsProcessingUtils,
    QgsProviderConnectionException,
    QgsProviderRegistry,
    QgsVectorFileWriter,
)
from qgis.PyQt.QtCore import QCoreApplication

from . import spaceuse_cli

_GEOMETRY = {
    "point": QgsProcessing.SourceType.TypeVectorPoint,
    "line": QgsProcessing.SourceType.TypeVectorLine,
    "polygon": QgsProcessing.SourceType.TypeVectorPolygon,
}

# Formats spaceuse reads as they are: a layer stored in one is passed by its path.
_READABLE = ("gpkg", "shp", "geojson", "json", "fgb", "sqlite", "gml", "kml", "csv")

# Style post-processors must outlive processAlgorithm (QGIS holds them as plain pointers).
_KEEP_ALIVE = []


def _title(name):
    return name.replace("_", " ").capitalize()


class _LoadStyle(QgsProcessingLayerPostProcessorInterface):
    """Applies spaceuse's QGIS style (the .qml beside a written layer) once it is loaded."""

    def __init__(self, qml):
        super().__init__()
        self._qml = qml

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if layer is not None and os.path.isfile(self._qml):
            layer.loadNamedStyle(self._qml)
            layer.triggerRepaint()


class SpaceuseAlgorithm(QgsProcessingAlgorithm):
    def __init__(self, command, executable):
        super().__init__()
        self._command = command
        self._executable = executable

    # -- identity -------------------------------------------------------------------------
    def createInstance(self):  # noqa: N802
        return SpaceuseAlgorithm(self._command, self._executable)

    def name(self):
        return self._command["name"]

    def displayName(self):  # noqa: N802
        return _title(self._command["name"])

    def shortHelpString(self):  # noqa: N802
        lines = [self._command.get("help", "")]
        if self._command.get("outputs"):
            lines.append("")
            lines.append("Outputs: " + ", ".join(
                o["name"] for o in self._command["outputs"] if o.get("geometry")))
        return "\n".join(lines)

    def helpUrl(self):  # noqa: N802
        return ""

    def flags(self):
        # The child process runs in QGIS's worker thread like any algorithm.
        return super().flags()

    def tr(self, text):
        return QCoreApplication.translate("spaceuse", text)

    # -- parameters -----------------------------------------------------------------------
    def _params(self):
        """The parameters QGIS shows: layer names are filled from the chosen layers, so
        they are not asked for."""
        return [p for p in self._command.get("parameters", []) if p["type"] != "layer_name"]

    def _layer_param_of_role(self, role):
        for p in self._command.get("parameters", []):
            if p["type"] == "vector_layer" and p.get("role") == role:
                return p
        return None

    def _description(self, p):
        text = p.get("help") or _title(p["name"])
        if p["type"] == "vector_layer":
            # The CLI's "…: PATH, PATH:LAYER or PG:..." says how to name a source; in QGIS the
            # layer is picked.
            text = text.split(": PATH")[0]
        if p.get("unit") and p["unit"] not in text:
            text += " (%s)" % p["unit"]
        return text

    def _definition(self, p):
        name = p["name"].upper()
        text = self._description(p)
        optional = not p.get("required", False)
        default = p.get("default")
        kind = p["type"]
        if kind == "vector_layer":
            types = [_GEOMETRY.get(p.get("geometry"), QgsProcessing.SourceType.TypeVectorAnyGeometry)]
            if p.get("multiple"):
                return QgsProcessingParameterMultipleLayers(name, text, types[0], None, optional)
            return QgsProcessingParameterFeatureSource(name, text, types, None, optional)
        if kind == "field":
            parent = self._layer_param_of_role(p.get("layer_role"))
            if parent is not None:
                return QgsProcessingParameterField(
                    name, text, None, parent["name"].upper(),
                    QgsProcessingParameterField.DataType.Any, False, optional)
            return QgsProcessingParameterString(name, text, None, False, optional)
        if kind in ("number", "integer"):
            number_type = (QgsProcessingParameterNumber.Type.Integer if kind == "integer"
                           else QgsProcessingParameterNumber.Type.Double)
            lo = p.get("min", p.get("exclusive_min"))
            hi = p.get("max")
            param = QgsProcessingParameterNumber(name, text, number_type, default, optional)
            if lo is not None:
                param.setMinimum(lo)
            if hi is not None:
                param.setMaximum(hi)
            return param
        if kind == "boolean":
            return QgsProcessingParameterBoolean(name, text, bool(default), True)
        if kind == "enum":
            choices = p.get("choices", [])
            param = QgsProcessingParameterEnum(name, text, choices, bool(p.get("multiple")),
                                               default if default in choices else None, optional)
            param.setUsesStaticStrings(True)
            return param
        if kind in ("file", "source"):
            extension = p.get("extension", "")
            if p.get("multiple"):
                return QgsProcessingParameterMultipleLayers(
                    name, text, QgsProcessing.SourceType.TypeFile, None, optional)
            param = QgsProcessingParameterFile(name, text,
                                               QgsProcessingParameterFile.Behavior.File,
                                               "", None, optional)
            if kind == "source":
                param.setFileFilter("spaceuse results (spaceuse.gpkg *.toml);;All files (*)")
            elif extension:
                param.setFileFilter("%s files (*.%s);;All files (*)"
                                    % (extension.upper(), extension))
            return param
        if kind == "folder":
            return QgsProcessingParameterFile(name, text,
                                              QgsProcessingParameterFile.Behavior.Folder, "",
                                              None, optional)
        if kind == "output_folder":
            # An optional one (run's -o: the project names its folder) is not created unless
            # asked for.
            return QgsProcessingParameterFolderDestination(name, text, None, optional,
                                                           not optional)
        if kind == "database":
            # A PostgreSQL connection stored in QGIS, chosen by name: its password stays out of
            # QGIS's log and spaceuse's command line (run passes it in PGPASSWORD).
            return QgsProcessingParameterProviderConnection(name, text, "postgres", None,
                                                            optional)
        # text, list, number_list, date, filter
        return QgsProcessingParameterString(name, text, default, False, optional)

    def initAlgorithm(self, config=None):  # noqa: N802
        for p in self._params():
            param = self._definition(p)
            if p.get("advanced"):
                param.setFlags(param.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
            self.addParameter(param)
        for o in self._command.get("outputs", []):
            if o.get("geometry"):
                self.addOutput(QgsProcessingOutputVectorLayer(o["name"].upper(),
                                                              o.get("description", o["name"])))
        self.addOutput(QgsProcessingOutputFile("MANIFEST", "Run manifest (run.json)"))

    def checkParameterValues(self, parameters, context):  # noqa: N802
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        # QGIS's number parameters have inclusive bounds; spaceuse's "greater than" ones are
        # checked here, before spaceuse would refuse them.
        for p in self._params():
            name = p["name"].upper()
            if p.get("exclusive_min") is None or parameters.get(name) is None:
                continue
            value = self.parameterAsDouble(parameters, name, context)
            if value <= p["exclusive_min"]:
                return False, "%s must be greater than %g" % (self._description(p),
                                                            p["exclusive_min"])
        return True, ""

    # -- running --------------------------------------------------------------------------
    def _database(self, parameters, name, context):
        """(PG:connection info without password, password) of a stored PostgreSQL
        connection; (None, None) when none is chosen. An authentication configuration is
        expanded to its user and password here, in QGIS."""
        connection = self.parameterAsConnectionName(parameters, name, context)
        if not connection:
            return None, None
        metadata = QgsProviderRegistry.instance().providerMetadata("postgres")
        try:
            stored = metadata.findConnection(connection) if metadata is not None else None
        except QgsProviderConnectionException:
            stored = None
        if stored is None:
            raise QgsProcessingException("no PostgreSQL connection named %r in QGIS"
                                         % connection)
        uri = QgsDataSourceUri(QgsDataSourceUri(stored.uri()).connectionInfo(True))
        password = uri.password()
        uri.setPassword("")
        return "PG:" + uri.connectionInfo(False), password

    def _layer_source(self, parameters, p, context, feedback, scratch):
        """(path, layer name) spaceuse reads for a layer parameter: the layer's own file when
        spaceuse reads it as it is and nothing is selected or filtered, else a GeoPackage QGIS
        writes (any provider; the selected features only when asked)."""
        return self.parameterAsCompatibleSourceLayerPathAndLayerName(
            parameters, p["name"].upper(), context, list(_READABLE), "gpkg", feedback)

    def _file_of_layer(self, layer, context, scratch, stem):
        """A path spaceuse reads for one layer of a multiple-layer parameter."""
        if layer.providerType() == "ogr" and not layer.subsetString():
            parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
            path = parts.get("path", "")
            if path.lower().rsplit(".", 1)[-1] in _READABLE:
                name = parts.get("layerName") or ""
                return path + (":" + name if name else "")
        out = os.path.join(scratch, stem + ".gpkg")
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        result = QgsVectorFileWriter.writeAsVectorFormatV3(layer, out,
                                                            context.transformContext(), options)
        if result[0] != QgsVectorFileWriter.WriterError.NoError:
            raise QgsProcessingException("could not write %s for spaceuse: %s"
                                         % (layer.name(), result[1]))
        return out

    def _output_folders(self, parameters, context):
        """The output folders chosen, resolved once (a temporary output is a new folder at
        each resolution)."""
        folders = {}
        for p in self._params():
            if p["type"] == "output_folder":
                name = p["name"].upper()
                if parameters.get(name) is not None:
                    folder = self.parameterAsFileOutput(parameters, name, context)
                    if folder:
                        folders[name] = folder
        return folders

    def _arguments(self, parameters, context, feedback, scratch, folders, env):
        """spaceuse's arguments; fills `env` with what goes to the child by environment."""
        args = []
        positional = []
        layer_names = {p.get("layer_role"): p for p in self._command.get("parameters", [])
                       if p["type"] == "layer_name"}
        for p in self._params():
            name = p["name"].upper()
            kind = p["type"]
            flag = p.get("flag")
            values = []
            if kind == "vector_layer":
                if p.get("multiple"):
                    layers = self.parameterAsLayerList(parameters, name, context)
                    values = [self._file_of_layer(layer, context, scratch,
                                                  "%s_%d" % (p["name"], i))
                              for i, layer in enumerate(layers)]
                elif parameters.get(name) is not None:
                    path, layer = self._layer_source(parameters, p, context, feedback, scratch)
                    if path:
                        companion = layer_names.get(p.get("role"))
                        if layer and companion is not None:
                            args.append(companion["flag"] + "=" + layer)  # always --x-layer
                            values = [path]
                        else:
                            values = [path + (":" + layer if layer else "")]
            elif kind == "boolean":
                if name not in parameters or parameters[name] is None:
                    continue
                value = self.parameterAsBoolean(parameters, name, context)
                if value != bool(p.get("default")):
                    # A negated flag (--no-free-space) turns its option off.
                    args.append(flag)
                continue
            elif kind == "enum":
                if parameters.get(name) is None:
                    continue
                if p.get("multiple"):
                    values = self.parameterAsEnumStrings(parameters, name, context)
                else:
                    values = [self.parameterAsEnumString(parameters, name, context)]
            elif kind in ("number", "integer"):
                if parameters.get(name) is None:
                    continue
                number = self.parameterAsDouble(parameters, name, context)
                if p.get("default") is not None and number == p["default"]:
                    continue
                values = [str(int(number)) if kind == "integer" else repr(number)]
            elif kind in ("file", "source") and p.get("multiple"):
                values = self.parameterAsFileList(parameters, name, context)
            elif kind in ("file", "source", "folder"):
                values = [self.parameterAsFile(parameters, name, context)]
            elif kind == "output_folder":
                values = [folders.get(name)]
            elif kind == "database":
                reference, password = self._database(parameters, name, context)
                values = [reference]
                if password:
                    env["PGPASSWORD"] = password
            else:
                text = self.parameterAsString(parameters, name, context)
                if text and text != (p.get("default") or ""):
                    values = [text]
            values = [v for v in values if v not in (None, "")]
            if not values:
                continue
            if p.get("positional"):
                positional += values
            else:
                # --flag=value: a value starting with '-' stays a value (a short flag, "-o",
                # takes it attached: "-ovalue").
                args += [flag + ("=" if flag.startswith("--") else "") + v for v in values]
        return args + (["--"] + positional if positional else [])

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        scratch = tempfile.mkdtemp(prefix="spaceuse_qgis_",
                                   dir=QgsProcessingUtils.tempFolder())
        folders = self._output_folders(parameters, context)
        env = dict(os.environ)
        args = ["--progress-format", "jsonl", self.name()]
        args += self._arguments(parameters, context, feedback, scratch, folders, env)
        feedback.pushCommandInfo(" ".join([self._executable] + [spaceuse_cli.shown_argument(a)
                                                                for a in args]))
        state = {"error": None, "outputs": None}

        def on_event(line):
            event = spaceuse_cli.parse_message_line(line)
            if event is None:
                return
            kind = event.get("type")
            if kind == "progress":
                feedback.setProgress(float(event.get("percent", 0.0)))
                feedback.setProgressText("%s: %s" % (event.get("stage", ""),
                                                     event.get("message", "")))
            elif kind == "outputs":
                state["outputs"] = event
            elif kind in ("error", "cancelled"):
                # Raised below as the algorithm's error: QGIS logs it once.
                state["error"] = event.get("message", "")
            else:
                feedback.pushInfo(event.get("message", ""))

        def on_output(line):
            if line.strip():
                feedback.pushConsoleInfo(line)

        code = spaceuse_cli.run_process([self._executable] + args, on_event, on_output,
                                        feedback.isCanceled, env=env)
        if feedback.isCanceled():
            # spaceuse's own word when it stopped on the signal ("cancelled (SIGTERM); …").
            raise QgsProcessingException(state["error"] or "cancelled: spaceuse was stopped "
                                         "(exit code %d)" % code)
        if code != 0:
            raise QgsProcessingException(
                "spaceuse: error: %s" % (state["error"] or "exit code %d" % code))
        return self._load_outputs(context, state["outputs"], folders)

    def _load_outputs(self, context, outputs, folders):
        results = dict(folders)
        manifest = outputs.get("manifest") if outputs else None
        folder = next(iter(folders.values()), None)
        if manifest is None and folder:
            manifest = os.path.join(folder, "run.json")
        if manifest is None or not os.path.isfile(manifest):
            return results
        results["MANIFEST"] = manifest
        with open(manifest, encoding="utf-8") as f:
            written = json.load(f).get("outputs", [])
        base = os.path.dirname(manifest)
        declared = {o["name"] for o in self._command.get("outputs", []) if o.get("geometry")}
        for entry in written:
            file_name = entry.get("file", "")
            if "features" not in entry or file_name == "spaceuse.gpkg":
                continue  # styles, documents, the snapshot (its layers are the same data)
            path = os.path.join(base, file_name)
            layer = entry.get("layer", "")
            source = path + ("|layername=" + layer if file_name.endswith(".gpkg") else "")
            if layer in declared:
                results[layer.upper()] = source
            details = QgsProcessingContext.LayerDetails(layer, context.project(), layer)
            qml = os.path.splitext(path)[0] + ".qml"
            if os.path.isfile(qml):
                post = _LoadStyle(qml)
                _KEEP_ALIVE.append(post)
                details.setPostProcessor(post)
            context.addLayerToLoadOnCompletion(source, details)
        return results
