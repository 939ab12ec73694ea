// Surveys in a shared PostGIS database (publish.hpp): publish, list, unpublish, and the reading
// side of open_results for "PG:" references.
//
// Writing goes through libpq directly, not GDAL's PostgreSQL driver: the whole publication is
// one transaction over several tables, views and public.layer_styles, rows go in with COPY, and
// every name from a user is quoted by PQescapeIdentifier. Reading back goes through GDAL (the
// snapshot reader works on OGR layers): a query per stored table, in the run's row order.

#include "publish_detail.hpp"

#include "../io/gdal_util.hpp"
#include "../util/date.hpp"
#include "../util/digest.hpp"
#include "../util/secrets.hpp"
#include "../util/text.hpp"
#include "snapshot.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/publish.hpp>

#include <gdal_priv.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

namespace spaceuse {

namespace {

namespace fs = std::filesystem;

constexpr const char* kSpaceuseKeys[] = {"schema", "study", "survey"};

bool is_spaceuse_key(const std::string& key) {
    return std::find(std::begin(kSpaceuseKeys), std::end(kSpaceuseKeys), key) !=
           std::end(kSpaceuseKeys);
}

/// A libpq value: bare when it can be, else single-quoted (backslash and quote escaped).
std::string conninfo_value(const std::string& v) {
    const bool bare = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("._-/:@+,", c) != nullptr;
    });
    if (bare) {
        return v;
    }
    std::string out = "'";
    for (char c : v) {
        if (c == '\'' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "'";
}

std::string first_line(std::string text) {
    const std::size_t nl = text.find('\n');
    if (nl != std::string::npos) {
        text.erase(nl);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.pop_back();
    }
    return text;
}

}  // namespace

// --- references ------------------------------------------------------------------------------

std::string source_without_secrets(const std::string& source) {
    return detail::without_secrets(source);
}

bool is_database_ref(const std::string& text) { return text.rfind("PG:", 0) == 0; }

std::string DatabaseRef::label() const {
    std::string out = "PG:" + conninfo;
    if (schema != default_publish_schema) {
        out += " schema=" + conninfo_value(schema);
    }
    if (!study.empty()) {
        out += " study=" + conninfo_value(study);
    }
    if (!survey_date.empty()) {
        out += " survey=" + survey_date;
    }
    return detail::without_secrets(out);
}

std::string database_ref_with(const std::string& target, const std::string& schema,
                              const std::string& study, const std::string& survey) {
    if (target.rfind("PG:", 0) != 0) {
        return target;
    }
    std::string keys;
    if (!schema.empty()) {
        keys += " schema=" + conninfo_value(schema);
    }
    if (!study.empty()) {
        keys += " study=" + conninfo_value(study);
    }
    if (!survey.empty()) {
        keys += " survey=" + conninfo_value(survey);
    }
    if (keys.empty()) {
        return target;
    }
    const std::string rest = target.substr(3);
    if (rest.rfind("postgresql://", 0) == 0 || rest.rfind("postgres://", 0) == 0) {
        // URI form: the keys join the query string.
        std::string query;
        auto add = [&](const char* k, const std::string& v) {
            if (!v.empty()) {
                std::string enc;
                for (unsigned char c : v) {
                    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
                        enc += static_cast<char>(c);
                    } else {
                        char b[4];
                        std::snprintf(b, sizeof b, "%%%02X", c);
                        enc += b;
                    }
                }
                query += (query.empty() ? "" : "&") + std::string(k) + "=" + enc;
            }
        };
        add("schema", schema);
        add("study", study);
        add("survey", survey);
        return target + (target.find('?') == std::string::npos ? "?" : "&") + query;
    }
    return target + keys;
}

DatabaseRef parse_database_ref(const std::string& text) {
    if (!is_database_ref(text)) {
        throw ConfigError("not a database reference: give PG: and a connection string "
                          "(\"PG:host=... dbname=...\" or \"PG:postgresql://...\")");
    }
    const std::string label = detail::without_secrets(text);
    std::string rest = text.substr(3);
    DatabaseRef ref;
    std::map<std::string, std::string> own;
    std::string conn;
    if (rest.rfind("postgresql://", 0) == 0 || rest.rfind("postgres://", 0) == 0) {
        // URI: spaceuse's keys are taken out of the query string.
        const std::size_t q = rest.find('?');
        conn = rest.substr(0, q);
        if (q != std::string::npos) {
            std::string query;
            std::size_t i = q + 1;
            while (i <= rest.size()) {
                std::size_t amp = rest.find('&', i);
                if (amp == std::string::npos) {
                    amp = rest.size();
                }
                const std::string item = rest.substr(i, amp - i);
                const std::string key = item.substr(0, item.find('='));
                if (is_spaceuse_key(key)) {
                    own[key] = item.find('=') == std::string::npos
                                   ? std::string()
                                   : detail::percent_decode(item.substr(item.find('=') + 1));
                } else if (!item.empty()) {
                    query += (query.empty() ? "" : "&") + item;
                }
                i = amp + 1;
            }
            if (!query.empty()) {
                conn += "?" + query;
            }
        }
    } else {
        // key = value pairs, values bare or single-quoted with backslash escapes (libpq's rules).
        std::size_t i = 0;
        auto skip_space = [&] {
            while (i < rest.size() && std::isspace(static_cast<unsigned char>(rest[i]))) {
                ++i;
            }
        };
        while (true) {
            skip_space();
            if (i >= rest.size()) {
                break;
            }
            const std::size_t key_start = i;
            while (i < rest.size() && rest[i] != '=' &&
                   !std::isspace(static_cast<unsigned char>(rest[i]))) {
                ++i;
            }
            const std::string key = rest.substr(key_start, i - key_start);
            skip_space();
            if (i >= rest.size() || rest[i] != '=') {
                // The word is not echoed: it may be the second half of a password.
                throw ConfigError("malformed connection string: a word without '=' (give "
                                  "key=value pairs; quote values with spaces: key='a b')");
            }
            ++i;
            skip_space();
            std::string value;
            if (i < rest.size() && rest[i] == '\'') {
                ++i;
                bool closed = false;
                while (i < rest.size()) {
                    if (rest[i] == '\\' && i + 1 < rest.size()) {
                        value += rest[i + 1];
                        i += 2;
                        continue;
                    }
                    if (rest[i] == '\'') {
                        closed = true;
                        ++i;
                        break;
                    }
                    value += rest[i++];
                }
                if (!closed) {
                    throw ConfigError("malformed connection string: unterminated quote after '" +
                                      (detail::is_secret_key(key) ? std::string("password") : key) +
                                      "='");
                }
            } else {
                while (i < rest.size() && !std::isspace(static_cast<unsigned char>(rest[i]))) {
                    if (rest[i] == '\\' && i + 1 < rest.size()) {
                        ++i;
                    }
                    value += rest[i++];
                }
            }
            if (is_spaceuse_key(key)) {
                own[key] = value;
            } else {
                conn += (conn.empty() ? "" : " ") + key + "=" + conninfo_value(value);
            }
        }
    }
    // libpq's own parser checks the rest (and understands URIs): its normalised key=value form
    // is what spaceuse and GDAL then connect with.
    char* err = nullptr;
    PQconninfoOption* options = PQconninfoParse(conn.c_str(), &err);
    if (options == nullptr) {
        // libpq's message may quote a value, the password among them: shown only when the
        // string holds no secret.
        const bool secret = label != text;
        const std::string why = err == nullptr ? std::string("out of memory")
                                : secret       ? std::string("libpq cannot parse it")
                                               : first_line(err);
        PQfreemem(err);
        throw ConfigError("malformed connection string (" + why + ")" +
                          (secret ? std::string() : ": " + label));
    }
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        if (o->val != nullptr) {
            ref.conninfo += (ref.conninfo.empty() ? "" : " ") + std::string(o->keyword) + "=" +
                            conninfo_value(o->val);
        }
    }
    PQconninfoFree(options);
    if (own.count("schema")) {
        ref.schema = own["schema"];
        if (ref.schema.empty()) {
            throw ConfigError("empty schema= in " + label);
        }
    }
    ref.study = own["study"];
    ref.survey_date = own["survey"];
    if (!ref.survey_date.empty() && !detail::is_iso_date(ref.survey_date)) {
        throw ConfigError("survey=" + ref.survey_date + " is not a date (YYYY-MM-DD) in " + label);
    }
    return ref;
}

namespace detail {

// --- libpq ------------------------------------------------------------------------------------

PgResult::~PgResult() { PQclear(m_res); }

std::string PgResult::value(int row, int col) const {
    return PQgetisnull(m_res, row, col) ? std::string() : std::string(PQgetvalue(m_res, row, col));
}
int PgResult::rows() const { return PQntuples(m_res); }
bool PgResult::is_null(int row, int col) const { return PQgetisnull(m_res, row, col) != 0; }

PgConnection::PgConnection(const DatabaseRef& ref, bool for_writing)
    : m_label(ref.label()), m_writing(for_writing) {
    m_conn = PQconnectdb(ref.conninfo.c_str());
    if (m_conn == nullptr || PQstatus(m_conn) != CONNECTION_OK) {
        const std::string why = m_conn ? first_line(PQerrorMessage(m_conn)) : "out of memory";
        PQfinish(m_conn);
        m_conn = nullptr;
        fail("cannot connect: " + why);
    }
    // Names and values are sent as the strings they are.
    try {
        exec("SET client_encoding = 'UTF8'");
        exec("SET client_min_messages = warning");
    } catch (...) {
        PQfinish(m_conn);
        m_conn = nullptr;
        throw;
    }
}

PgConnection::~PgConnection() {
    if (m_conn != nullptr) {
        if (m_in_transaction) {
            PGresult* r = PQexec(m_conn, "ROLLBACK");
            PQclear(r);
        }
        PQfinish(m_conn);
    }
}

void PgConnection::fail(const std::string& what) const {
    if (m_writing) {
        throw OutputError(what).set_source(m_label);
    }
    throw InputError(what).set_source(m_label);
}

PgResult PgConnection::exec(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) {
        values.push_back(p.c_str());
    }
    PGresult* r = PQexecParams(m_conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
    const ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        std::string why = first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(m_conn));
        PQclear(r);
        if (why.rfind("ERROR:", 0) == 0) {
            why = first_line(why.substr(6));
            while (!why.empty() && why.front() == ' ') {
                why.erase(0, 1);
            }
        }
        fail(why);
    }
    return PgResult(r);
}

void PgConnection::begin() {
    exec("BEGIN");
    m_in_transaction = true;
}

void PgConnection::commit() {
    exec("COMMIT");
    m_in_transaction = false;
}

std::string PgConnection::ident(const std::string& name) const {
    char* q = PQescapeIdentifier(m_conn, name.c_str(), name.size());
    if (q == nullptr) {
        fail("bad name '" + name + "': " + first_line(PQerrorMessage(m_conn)));
    }
    std::string out(q);
    PQfreemem(q);
    return out;
}

std::string PgConnection::literal(const std::string& value) const {
    char* q = PQescapeLiteral(m_conn, value.c_str(), value.size());
    if (q == nullptr) {
        fail("bad value: " + first_line(PQerrorMessage(m_conn)));
    }
    std::string out(q);
    PQfreemem(q);
    return out;
}

void PgConnection::copy_in(const std::string& sql, const std::function<bool(std::string&)>& chunk) {
    exec_copy_start(sql);
    std::string buffer;
    bool more = true;
    try {
        while (more) {
            buffer.clear();
            more = chunk(buffer);
            if (!buffer.empty() &&
                PQputCopyData(m_conn, buffer.data(), static_cast<int>(buffer.size())) != 1) {
                fail("COPY failed: " + first_line(PQerrorMessage(m_conn)));
            }
        }
    } catch (...) {
        // End the COPY so that the connection takes the ROLLBACK.
        PQputCopyEnd(m_conn, "aborted");
        while (PGresult* r = PQgetResult(m_conn)) {
            PQclear(r);
        }
        throw;
    }
    if (PQputCopyEnd(m_conn, nullptr) != 1) {
        fail("COPY failed: " + first_line(PQerrorMessage(m_conn)));
    }
    PGresult* r = PQgetResult(m_conn);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    std::string why = ok ? std::string() : first_line(PQresultErrorMessage(r));
    PQclear(r);
    while ((r = PQgetResult(m_conn)) != nullptr) {
        PQclear(r);
    }
    if (!ok) {
        if (why.rfind("ERROR:", 0) == 0) {
            why.erase(0, 6);
            why.erase(0, why.find_first_not_of(' ') == std::string::npos
                             ? why.size()
                             : why.find_first_not_of(' '));
        }
        fail(why);
    }
}

void PgConnection::exec_copy_start(const std::string& sql) {
    PGresult* r = PQexec(m_conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        std::string why = first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(m_conn));
        PQclear(r);
        fail(why);
    }
    PQclear(r);
}

}  // namespace detail

namespace {

using detail::PgConnection;

/// PostgreSQL column type of an OGR field.
std::string pg_type(const OGRFieldDefn& f) {
    switch (f.GetType()) {
    case OFTInteger:
    case OFTInteger64:
        return "bigint";
    case OFTReal:
        return "double precision";
    case OFTDate:
        return "date";
    case OFTDateTime:
        return "timestamp with time zone";
    default:
        return "text";
    }
}

void copy_text(std::string& out, const char* s) {
    for (; *s != 0; ++s) {
        switch (*s) {
        case '\\':
            out += "\\\\";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            out += *s;
        }
    }
}

void append_double(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";  // to_chars may print "-nan", which PostgreSQL refuses
        return;
    }
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact form
    out.append(buf, r.ptr);
}

/// Hex EWKB of `g` forced to the multi type of `family`, with `srid` (0: none).
void append_ewkb(std::string& out, const OGRGeometry& geometry, OGRwkbGeometryType multi, int srid,
                 std::vector<unsigned char>& scratch) {
    std::unique_ptr<OGRGeometry> forced;
    const OGRGeometry* g = &geometry;
    if (wkbFlatten(g->getGeometryType()) != multi) {
        forced.reset(OGRGeometryFactory::forceTo(g->clone(), multi));
        g = forced.get();
    }
    const std::size_t size = g->WkbSize();
    scratch.resize(size);
    g->exportToWkb(wkbNDR, scratch.data(), wkbVariantIso);
    static const char* hex = "0123456789abcdef";
    auto put = [&](unsigned char b) {
        out += hex[b >> 4];
        out += hex[b & 15];
    };
    put(scratch[0]);
    std::uint32_t type = 0;
    std::memcpy(&type, scratch.data() + 1, 4);
    if (srid > 0) {
        type |= 0x20000000U;
    }
    for (int i = 0; i < 4; ++i) {
        put(static_cast<unsigned char>(type >> (8 * i)));
    }
    if (srid > 0) {
        const auto s = static_cast<std::uint32_t>(srid);
        for (int i = 0; i < 4; ++i) {
            put(static_cast<unsigned char>(s >> (8 * i)));
        }
    }
    for (std::size_t i = 5; i < size; ++i) {
        put(scratch[i]);
    }
}

struct SnapshotFile {
    std::string path;
    GDALDatasetUniquePtr ds;
    std::map<std::string, std::string> keys;
    nlohmann::json layers = nlohmann::json::array();
    nlohmann::json manifest;
};

SnapshotFile open_snapshot_file(const std::string& results) {
    SnapshotFile s;
    s.path = detail::snapshot_file(results);
    detail::ensure_gdal_registered();
    detail::GdalErrorCapture gdal;
    const char* const drivers[] = {"GPKG", nullptr};
    s.ds.reset(GDALDataset::Open(s.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers,
                                 nullptr, nullptr));
    if (!s.ds) {
        throw InputError("cannot open as a GeoPackage: " + gdal.last_error()).set_source(s.path);
    }
    OGRLayer* snap = s.ds->GetLayerByName("spaceuse_snapshot");
    OGRLayer* list = s.ds->GetLayerByName("spaceuse_layers");
    if (snap == nullptr || list == nullptr) {
        throw InputError("not a spaceuse snapshot (no spaceuse_snapshot or spaceuse_layers table)")
            .set_source(s.path);
    }
    for (OGRFeatureUniquePtr f(snap->GetNextFeature()); f; f.reset(snap->GetNextFeature())) {
        s.keys[f->GetFieldAsString("key")] = f->GetFieldAsString("value");
    }
    for (auto& meta : detail::read_layer_list(*list, s.path)) {
        s.layers.push_back(std::move(meta));
    }
    try {
        s.manifest = nlohmann::json::parse(s.keys["manifest"]);
    } catch (const nlohmann::json::exception&) {
        throw InputError("the snapshot is damaged: its manifest cannot be read").set_source(s.path);
    }
    return s;
}

int srid_of(const std::string& analysis_crs) {
    try {
        const auto j = nlohmann::json::parse(analysis_crs);
        const std::string code = j.value("code", std::string());
        if (code.rfind("EPSG:", 0) == 0) {
            return std::stoi(code.substr(5));
        }
    } catch (const std::exception&) {
    }
    return 0;
}

const char* multi_name(const std::string& geometry) {
    if (geometry == "point") {
        return "MultiPoint";
    }
    if (geometry == "line") {
        return "MultiLineString";
    }
    return "MultiPolygon";
}

OGRwkbGeometryType multi_type(const std::string& geometry) {
    if (geometry == "point") {
        return wkbMultiPoint;
    }
    if (geometry == "line") {
        return wkbMultiLineString;
    }
    return wkbMultiPolygon;
}

/// Columns spaceuse adds to every published table, before the snapshot's.
const std::set<std::string> kOwnColumns = {"fid",    "study",        "survey_date",
                                           "run_id", "spaceuse_row", "geom"};

void ensure_schema(PgConnection& db, const std::string& schema) {
    const auto r = db.exec("SELECT 1 FROM pg_namespace WHERE nspname = $1", {schema});
    if (r.rows() == 0) {
        db.exec("CREATE SCHEMA " + db.ident(schema));
    }
}

void ensure_runs_table(PgConnection& db, const std::string& schema) {
    const std::string runs = db.ident(schema) + ".runs";
    const auto r = db.exec("SELECT to_regclass($1) IS NOT NULL", {runs});
    if (r.value(0, 0) == "t") {
        return;
    }
    db.exec("CREATE TABLE " + runs +
            " (run_id text PRIMARY KEY, study text NOT NULL, survey_date date NOT NULL,"
            " published_at timestamp with time zone NOT NULL DEFAULT now(), tool text,"
            " format_version integer NOT NULL, definitions_hash text, analysis_crs text NOT NULL,"
            " layers text NOT NULL, manifest text NOT NULL, UNIQUE (study, survey_date))");
}

/// The columns of an existing table (name → type as format_type prints it), empty when the
/// table does not exist.
std::map<std::string, std::string> existing_columns(PgConnection& db,
                                                    const std::string& qualified) {
    std::map<std::string, std::string> out;
    const auto r = db.exec(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
        {qualified});
    for (int i = 0; i < r.rows(); ++i) {
        out[r.value(i, 0)] = r.value(i, 1);
    }
    return out;
}

/// "a, b, c": the distinct studies of `surveys`, or empty when there is at most one.
std::string several_studies(const std::vector<PublishedSurvey>& surveys) {
    std::set<std::string> studies;
    for (const auto& s : surveys) {
        studies.insert(s.study);
    }
    std::string list;
    for (const auto& st : studies) {
        list += (list.empty() ? "" : ", ") + st;
    }
    return studies.size() > 1 ? list : std::string();
}

struct Column {
    std::string name;
    std::string type;
    int field = -1;  // OGR field index
};

}  // namespace

PublishReport publish_results(const std::string& results, const std::string& target,
                              const ProgressFn& progress) {
    const DatabaseRef ref = parse_database_ref(target);
    SnapshotFile snap = open_snapshot_file(results);
    const nlohmann::json& m = snap.manifest;
    PublishReport report;
    report.target = ref.label();
    report.schema = ref.schema;
    report.study = m.value("study", std::string());
    if (m.contains("attribution") && m["attribution"].is_object() &&
        m["attribution"].value("survey_date", nlohmann::json()).is_string()) {
        report.survey_date = m["attribution"]["survey_date"].get<std::string>();
    }
    if (report.survey_date.empty()) {
        throw InputError("the run has no survey date, which the database keeps surveys by: run "
                         "it again with [project] survey_date = \"YYYY-MM-DD\" (or data_date)")
            .set_source(results);
    }
    if (!detail::is_iso_date(report.survey_date)) {
        throw InputError("the run's survey date '" + report.survey_date +
                         "' is not a date (YYYY-MM-DD)")
            .set_source(results);
    }
    if (!ref.study.empty()) {
        // Surveys of one series whose projects carry different titles: published as one study.
        report.study = ref.study;
    }
    // The same results published under two study names are two runs.
    report.run_id = detail::sha256_hex(report.study + "\n" + snap.keys["manifest"]).substr(0, 16);
    const int srid = srid_of(snap.keys["analysis_crs"]);

    // Checked before connecting: names the database would truncate or clash with spaceuse's.
    for (const auto& meta : snap.layers) {
        const std::string table = meta["table"].get<std::string>();
        if (table.size() + 7 > 63 || table == "runs") {
            throw InputError("layer '" + table + "' cannot be published under that name")
                .set_source(snap.path);
        }
    }

    PgConnection db(ref, true);
    if (db.exec("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").rows() == 0) {
        db.fail("the database has no PostGIS extension (CREATE EXTENSION postgis, as its owner)");
    }
    db.begin();
    // One publication at a time per schema. Readers are not blocked, except those of a table
    // whose columns change (and its view) until the commit.
    db.exec("SELECT pg_advisory_xact_lock(hashtext($1))", {"spaceuse publish " + ref.schema});
    ensure_schema(db, ref.schema);
    ensure_runs_table(db, ref.schema);
    const std::string s = db.ident(ref.schema);

    // The survey's earlier publication: its rows go, in every table it wrote.
    std::set<std::string> old_tables;
    std::string old_run;
    {
        const auto r = db.exec("SELECT run_id, layers FROM " + s +
                                   ".runs WHERE study = $1 AND survey_date = $2::date",
                               {report.study, report.survey_date});
        if (r.rows() > 0) {
            report.replaced = true;
            old_run = r.value(0, 0);
            try {
                for (const auto& l : nlohmann::json::parse(r.value(0, 1))) {
                    old_tables.insert(l.at("table").get<std::string>());
                }
            } catch (const nlohmann::json::exception&) {
                db.fail("the runs table's layer list of run " + old_run +
                        " cannot be read: its rows cannot be replaced (unpublish it by hand)");
            }
        }
    }
    for (const auto& t : old_tables) {
        const std::string q = s + "." + db.ident(t);
        if (db.exec("SELECT to_regclass($1) IS NOT NULL", {q}).value(0, 0) == "t") {
            db.exec("DELETE FROM " + q + " WHERE run_id = $1", {old_run});
        }
    }
    db.exec("DELETE FROM " + s + ".runs WHERE study = $1 AND survey_date = $2::date",
            {report.study, report.survey_date});

    const std::size_t n_layers = snap.layers.size();
    // The layer list as stored in the runs table: the snapshot's, with the database's column
    // names.
    nlohmann::json stored_layers = snap.layers;
    std::vector<unsigned char> scratch;
    std::vector<std::string> geometry_tables;
    for (std::size_t li = 0; li < n_layers; ++li) {
        const nlohmann::json& meta = snap.layers[li];
        const std::string table = meta["table"].get<std::string>();
        const std::string geometry = meta["geometry"].get<std::string>();
        if (progress) {
            progress(static_cast<double>(li) / static_cast<double>(n_layers + 1),
                     "publishing " + table);
        }
        OGRLayer* layer = snap.ds->GetLayerByName(table.c_str());
        if (layer == nullptr) {
            throw InputError("the snapshot lists '" + table + "', which it does not hold")
                .set_source(snap.path);
        }
        OGRFeatureDefn* defn = layer->GetLayerDefn();
        std::vector<Column> columns;
        std::set<std::string> taken(kOwnColumns.begin(), kOwnColumns.end());
        for (int i = 0; i < defn->GetFieldCount(); ++i) {
            taken.insert(detail::lower(defn->GetFieldDefn(i)->GetNameRef()));
        }
        for (int i = 0; i < defn->GetFieldCount(); ++i) {
            const OGRFieldDefn* f = defn->GetFieldDefn(i);
            std::string name = f->GetNameRef();
            if (kOwnColumns.count(detail::lower(name)) > 0) {
                // A source field named like one of spaceuse's columns (a parcel layer's
                // "study"): stored as field_<name>, which the stored layer list records.
                std::string renamed = "field_" + name;
                for (int n = 2; taken.count(detail::lower(renamed)) > 0; ++n) {
                    renamed = "field_" + name + "_" + std::to_string(n);
                }
                taken.insert(detail::lower(renamed));
                for (auto& field : stored_layers[li]["fields"]) {
                    if (field.value("column", std::string()) == name) {
                        field["column"] = renamed;
                    }
                }
                name = renamed;
            }
            if (name.size() > 63) {
                throw InputError("field '" + name + "' of layer '" + table +
                                 "' is longer than PostgreSQL's 63-byte names")
                    .set_source(snap.path);
            }
            columns.push_back({name, pg_type(*f), i});
        }
        const bool has_geometry = !geometry.empty() && defn->GetGeomFieldCount() > 0;
        const std::string geom_type = std::string("geometry(") + multi_name(geometry) +
                                      (srid > 0 ? "," + std::to_string(srid) : "") + ")";
        const std::string q = s + "." + db.ident(table);
        PublishReport::Table out;
        out.name = table;
        auto existing = existing_columns(db, s + "." + db.ident(table));
        if (existing.empty()) {
            out.created = true;
            std::string sql = "CREATE TABLE " + q +
                              " (fid bigserial PRIMARY KEY, study text NOT NULL, survey_date date "
                              "NOT NULL, run_id text NOT NULL, spaceuse_row bigint NOT NULL";
            for (const auto& c : columns) {
                sql += ", " + db.ident(c.name) + " " + c.type;
            }
            if (has_geometry) {
                sql += ", geom " + geom_type;
            }
            db.exec(sql + ")");
        } else {
            for (const char* own : {"study", "survey_date", "run_id", "spaceuse_row"}) {
                if (existing.count(own) == 0) {
                    db.fail("table " + ref.schema + "." + table +
                            " exists and is not a spaceuse table (no column " + own +
                            "): publish to another schema");
                }
            }
            auto check = [&](const std::string& name, const std::string& type) {
                const auto it = existing.find(name);
                if (it == existing.end()) {
                    db.exec("ALTER TABLE " + q + " ADD COLUMN " + db.ident(name) + " " + type);
                    out.new_columns.push_back(name);
                } else if (it->second != type) {
                    db.fail("table " + ref.schema + "." + table + ": column '" + name + "' is " +
                            it->second + " in the database, " + type +
                            " in these results; publish to another schema");
                }
            };
            for (const auto& c : columns) {
                check(c.name, c.type);
            }
            if (has_geometry) {
                check("geom", geom_type);
            }
        }

        // COPY in text format: \N for null, tabs between columns.
        std::string copy = "COPY " + q + " (study, survey_date, run_id, spaceuse_row";
        for (const auto& c : columns) {
            copy += ", " + db.ident(c.name);
        }
        copy += has_geometry ? ", geom) FROM STDIN" : ") FROM STDIN";
        std::string prefix;
        copy_text(prefix, report.study.c_str());
        prefix += '\t' + report.survey_date + '\t' + report.run_id + '\t';
        layer->ResetReading();
        std::int64_t row = 0;
        const OGRwkbGeometryType multi = multi_type(geometry);
        db.copy_in(copy, [&](std::string& buf) {
            while (buf.size() < (1U << 20)) {
                OGRFeatureUniquePtr f(layer->GetNextFeature());
                if (!f) {
                    return false;
                }
                buf += prefix;
                buf += std::to_string(row++);
                for (const auto& c : columns) {
                    buf += '\t';
                    if (!f->IsFieldSetAndNotNull(c.field)) {
                        buf += "\\N";
                        continue;
                    }
                    switch (defn->GetFieldDefn(c.field)->GetType()) {
                    case OFTInteger:
                    case OFTInteger64:
                        buf += std::to_string(f->GetFieldAsInteger64(c.field));
                        break;
                    case OFTReal:
                        append_double(buf, f->GetFieldAsDouble(c.field));
                        break;
                    default:
                        copy_text(buf, f->GetFieldAsString(c.field));
                    }
                }
                if (has_geometry) {
                    buf += '\t';
                    const OGRGeometry* g = f->GetGeometryRef();
                    if (g == nullptr) {
                        buf += "\\N";
                    } else {
                        append_ewkb(buf, *g, multi, srid, scratch);
                    }
                }
                buf += '\n';
            }
            return true;
        });
        out.rows = row;
        if (out.created) {
            db.exec("CREATE INDEX ON " + q + " (run_id)");
            if (has_geometry) {
                db.exec("CREATE INDEX ON " + q + " USING gist (geom)");
            }
        }
        // The latest survey of each study (the runs row decides, so rows of no run never show).
        // Replaced only when the table's columns changed: replacing a view locks out its readers
        // until the commit.
        const std::string view = s + "." + db.ident(table + "_latest");
        if (out.created || !out.new_columns.empty() ||
            db.exec("SELECT to_regclass($1) IS NULL", {view}).value(0, 0) == "t") {
            db.exec("CREATE OR REPLACE VIEW " + view + " AS SELECT t.* FROM " + q +
                    " t WHERE t.run_id IN (SELECT r.run_id FROM " + s +
                    ".runs r WHERE (r.study, r.survey_date) IN (SELECT l.study, "
                    "max(l.survey_date) FROM " +
                    s + ".runs l GROUP BY l.study))");
        }
        if (has_geometry) {
            geometry_tables.push_back(table);
        }
        report.tables.push_back(std::move(out));
    }

    // QGIS styles, where QGIS looks for them: public.layer_styles (QGIS's own layout).
    if (OGRLayer* styles = snap.ds->GetLayerByName("layer_styles")) {
        // Publications to other schemas share the table.
        db.exec("SELECT pg_advisory_xact_lock(hashtext('spaceuse layer_styles'))");
        if (db.exec("SELECT to_regclass('public.layer_styles') IS NOT NULL").value(0, 0) != "t") {
            db.exec("CREATE TABLE public.layer_styles (id serial PRIMARY KEY, f_table_catalog "
                    "varchar, f_table_schema varchar, f_table_name varchar, f_geometry_column "
                    "varchar, stylename text, styleqml xml, stylesld xml, useasdefault boolean, "
                    "description text, owner varchar(63) DEFAULT CURRENT_USER, ui xml, "
                    "update_time timestamp DEFAULT CURRENT_TIMESTAMP, type varchar)");
        }
        const std::set<std::string> published(geometry_tables.begin(), geometry_tables.end());
        styles->ResetReading();
        for (OGRFeatureUniquePtr f(styles->GetNextFeature()); f;
             f.reset(styles->GetNextFeature())) {
            const std::string table = f->GetFieldAsString("f_table_name");
            if (published.count(table) == 0) {
                continue;
            }
            const std::string name = f->GetFieldAsString("styleName");
            const bool is_default = f->GetFieldAsInteger("useAsDefault") != 0;
            for (const std::string& t : {table, table + "_latest"}) {
                db.exec("DELETE FROM public.layer_styles WHERE f_table_catalog = "
                        "current_database() AND f_table_schema = $1 AND f_table_name = $2 AND "
                        "f_geometry_column = 'geom' AND stylename = $3",
                        {ref.schema, t, name});
                db.exec("INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, "
                        "f_table_name, f_geometry_column, stylename, styleqml, stylesld, "
                        "useasdefault, description, owner) VALUES (current_database(), $1, $2, "
                        "'geom', $3, XMLPARSE(DOCUMENT $4), XMLPARSE(DOCUMENT $5), $6, $7, "
                        "current_user)",
                        {ref.schema, t, name, f->GetFieldAsString("styleQML"),
                         f->GetFieldAsString("styleSLD"), is_default ? "true" : "false",
                         f->GetFieldAsString("description")});
                ++report.styles;
            }
        }
    }

    db.exec("INSERT INTO " + s +
                ".runs (run_id, study, survey_date, tool, format_version, definitions_hash, "
                "analysis_crs, layers, manifest) VALUES ($1, $2, $3::date, $4, $5::integer, $6, "
                "$7, $8, $9)",
            {report.run_id, report.study, report.survey_date, snap.keys["tool"],
             snap.keys["format_version"], m.value("definitions_hash", std::string()),
             snap.keys["analysis_crs"], stored_layers.dump(), snap.keys["manifest"]});
    if (detail::g_publish_fail_before_commit) {
        db.fail("publication stopped before COMMIT (test hook)");
    }
    db.commit();
    if (progress) {
        progress(1.0, "published");
    }
    return report;
}

namespace detail {

bool g_publish_fail_before_commit = false;

/// The surveys of `ref`'s schema (filtered by its study and survey); empty when the schema has
/// no runs table.
std::vector<PublishedSurvey> surveys(PgConnection& db, const DatabaseRef& ref) {
    std::vector<PublishedSurvey> out;
    const std::string runs = db.ident(ref.schema) + ".runs";
    if (db.exec("SELECT to_regclass($1) IS NOT NULL", {runs}).value(0, 0) != "t") {
        return out;
    }
    const auto r = db.exec(
        "SELECT study, survey_date::text, run_id, to_char(published_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(tool, '') FROM " +
            runs +
            " WHERE ($1 = '' OR study = $1) AND ($2 = '' OR survey_date = "
            "CAST(NULLIF($2, '') AS date)) ORDER BY study, survey_date",
        {ref.study, ref.survey_date});
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back({r.value(i, 0), r.value(i, 1), r.value(i, 2), r.value(i, 3), r.value(i, 4)});
    }
    return out;
}

}  // namespace detail

std::vector<PublishedSurvey> list_published(const std::string& target) {
    const DatabaseRef ref = parse_database_ref(target);
    PgConnection db(ref, false);
    return detail::surveys(db, ref);
}

UnpublishReport unpublish(const std::string& target) {
    const DatabaseRef ref = parse_database_ref(target);
    if (ref.survey_date.empty()) {
        throw ConfigError("which survey? add survey=YYYY-MM-DD (or --survey) to " + ref.label());
    }
    PgConnection db(ref, true);
    db.begin();
    db.exec("SELECT pg_advisory_xact_lock(hashtext($1))", {"spaceuse publish " + ref.schema});
    DatabaseRef any_study = ref;
    const auto found = detail::surveys(db, any_study);
    UnpublishReport report;
    report.survey_date = ref.survey_date;
    if (const std::string list = several_studies(found); !list.empty()) {
        throw ConfigError("several studies have a survey of " + ref.survey_date + " (" + list +
                          "): add study=NAME (or --study)");
    }
    if (found.empty()) {
        return report;
    }
    const PublishedSurvey& survey = found.front();
    report.study = survey.study;
    report.found = true;
    const std::string s = db.ident(ref.schema);
    const auto r = db.exec("SELECT layers FROM " + s + ".runs WHERE run_id = $1", {survey.run_id});
    try {
        for (const auto& l : nlohmann::json::parse(r.value(0, 0))) {
            const std::string q = s + "." + db.ident(l.at("table").get<std::string>());
            if (db.exec("SELECT to_regclass($1) IS NOT NULL", {q}).value(0, 0) == "t") {
                const auto d = db.exec("WITH d AS (DELETE FROM " + q +
                                           " WHERE run_id = $1 RETURNING 1) "
                                           "SELECT count(*) FROM d",
                                       {survey.run_id});
                report.rows += std::stoll(d.value(0, 0));
            }
        }
    } catch (const nlohmann::json::exception&) {
        db.fail("the runs table's layer list of run " + survey.run_id + " cannot be read");
    }
    db.exec("DELETE FROM " + s + ".runs WHERE run_id = $1", {survey.run_id});
    db.commit();
    return report;
}

// --- reading back ----------------------------------------------------------------------------

namespace detail {

PublishedSnapshot read_published(const DatabaseRef& ref) {
    PublishedSnapshot out;
    out.label = ref.label();
    {
        PgConnection db(ref, false);
        auto found = surveys(db, ref);
        if (found.empty()) {
            DatabaseRef all = ref;
            all.survey_date.clear();
            all.study.clear();
            const auto any = surveys(db, all);
            std::string have;
            for (const auto& f : any) {
                have += (have.empty() ? "" : ", ") + f.study + " " + f.survey_date;
            }
            throw InputError(any.empty() ? "no published surveys in schema '" + ref.schema + "'"
                                         : "no such survey (published: " + have + ")")
                .set_source(out.label);
        }
        if (const std::string list = several_studies(found); !list.empty()) {
            throw InputError("the schema holds several studies (" + list +
                             "): add study=NAME (or --study)")
                .set_source(out.label);
        }
        if (found.size() > 1) {
            std::string list;
            for (const auto& f : found) {
                list += (list.empty() ? "" : ", ") + f.survey_date;
            }
            throw InputError("study '" + found.front().study + "' has several surveys (" + list +
                             "): add survey=YYYY-MM-DD (or --survey)")
                .set_source(out.label);
        }
        out.run_id = found.front().run_id;
        const auto r = db.exec("SELECT format_version::text, manifest, analysis_crs, layers, "
                               "coalesce(tool, '') FROM " +
                                   db.ident(ref.schema) + ".runs WHERE run_id = $1",
                               {out.run_id});
        out.keys["format_version"] = r.value(0, 0);
        out.keys["manifest"] = r.value(0, 1);
        out.keys["analysis_crs"] = r.value(0, 2);
        out.keys["tool"] = r.value(0, 4);
        try {
            for (const auto& l : nlohmann::json::parse(r.value(0, 3))) {
                out.metas.push_back(l);
            }
        } catch (const nlohmann::json::exception&) {
            throw InputError("the layer list of run " + out.run_id + " cannot be read")
                .set_source(out.label);
        }
        out.schema_sql = db.ident(ref.schema);
        for (const auto& meta : out.metas) {
            const std::string t = meta.value("table", std::string());
            out.table_sql[t] = db.ident(t);
        }
        out.run_literal = db.literal(out.run_id);
    }
    out.ref = ref;
    ensure_gdal_registered();
    GdalErrorCapture gdal;
    const char* const drivers[] = {"PostgreSQL", nullptr};
    const std::string conn = "PG:" + ref.conninfo;
    out.ds.reset(GDALDataset::Open(conn.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers,
                                   nullptr, nullptr));
    if (!out.ds) {
        throw InputError("cannot open through GDAL: " + without_secrets(gdal.last_error()))
            .set_source(out.label);
    }
    return out;
}

OGRLayer* PublishedSnapshot::open_table(const std::string& table) {
    const auto it = table_sql.find(table);
    if (it == table_sql.end()) {
        return nullptr;
    }
    GdalErrorCapture gdal;
    OGRLayer* layer = ds->ExecuteSQL(("SELECT * FROM " + schema_sql + "." + it->second +
                                      " WHERE run_id = " + run_literal + " ORDER BY spaceuse_row")
                                         .c_str(),
                                     nullptr, nullptr);
    if (layer == nullptr) {
        throw InputError("cannot read table '" + table + "': " + without_secrets(gdal.last_error()))
            .set_source(label);
    }
    return layer;
}

void PublishedSnapshot::close_table(OGRLayer* layer) { ds->ReleaseResultSet(layer); }

void PublishedSnapshot::check_still_published() const {
    // The tables were read one query after the other: a survey removed or replaced by another
    // run meanwhile would have given empty tables. Rows of a run never change (its id hashes
    // its manifest), so the run still being there means every table was read whole.
    PgConnection db(ref, false);
    if (db.exec("SELECT 1 FROM " + db.ident(ref.schema) + ".runs WHERE run_id = $1", {run_id})
            .rows() == 0) {
        throw InputError("the survey was removed or replaced while it was read: read it again")
            .set_source(label);
    }
}

std::optional<std::string> database_table_sha256(const LayerSource& source) {
    ensure_gdal_registered();
    GdalErrorCapture gdal;
    const char* const drivers[] = {"PostgreSQL", nullptr};
    GDALDatasetUniquePtr ds(GDALDataset::Open(
        source.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, nullptr, nullptr));
    if (!ds) {
        return std::nullopt;
    }
    OGRLayer* layer = source.layer.empty() ? (ds->GetLayerCount() == 1 ? ds->GetLayer(0) : nullptr)
                                           : ds->GetLayerByName(source.layer.c_str());
    if (layer == nullptr) {
        return std::nullopt;
    }
    auto quote = [](const std::string& name) {
        std::string out = "\"";
        for (char c : name) {
            out += c == '"' ? std::string("\"\"") : std::string(1, c);
        }
        return out + "\"";
    };
    // GDAL names a table outside the search path "schema.table".
    const std::string name = layer->GetName();
    const std::size_t dot = name.find('.');
    const std::string table = dot == std::string::npos
                                  ? quote(name)
                                  : quote(name.substr(0, dot)) + "." + quote(name.substr(dot + 1));
    const std::string fid = layer->GetFIDColumn();
    const std::string order = fid.empty() ? "t::text" : "t." + quote(fid);
    OGRLayer* r = ds->ExecuteSQL(("SELECT encode(sha256(convert_to(coalesce(string_agg(t::text, "
                                  "E'\\n' ORDER BY " +
                                  order + "), ''), 'UTF8')), 'hex') AS h FROM " + table + " t")
                                     .c_str(),
                                 nullptr, nullptr);
    if (r == nullptr) {
        return std::nullopt;
    }
    std::optional<std::string> out;
    if (OGRFeatureUniquePtr f{r->GetNextFeature()}) {
        out = f->GetFieldAsString(0);
    }
    ds->ReleaseResultSet(r);
    return out;
}

}  // namespace detail

}  // namespace spaceuse
