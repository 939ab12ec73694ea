#pragma once

/// @file publish.hpp
/// Surveys in a shared PostGIS database: publish a run's results there, list, remove and read
/// them back.
///
/// A database reference is a GDAL-style connection string, "PG:" followed by a libpq
/// connection string (key = value pairs or a postgresql:// URI), to which three keys of
/// spaceuse's own may be added (they are taken out before connecting):
///   schema=NAME     the schema holding the surveys (default "spaceuse");
///   study=NAME      which study, when the schema holds several;
///   survey=DATE     which survey (YYYY-MM-DD), when the study has several.
/// Credentials come from the connection string, PGSERVICE (a service file), the environment
/// (PGPASSWORD...) or ~/.pgpass, as libpq takes them; they are never printed or stored.
///
/// Layout of a schema: one table per result layer, table and context layer of the snapshot
/// (spaceuse.gpkg), named as in the snapshot, with the snapshot's columns after `fid` (key),
/// `study`, `survey_date`, `run_id` and `spaceuse_row` (the row's order in the run) and a
/// `geom` column (with a spatial index) for layers with geometry; a view `<table>_latest` per
/// table with the latest survey of each study; the `runs` table (one row per published survey:
/// run id, study, survey date, publication time, spaceuse version, the manifest, the analysis
/// CRS and the list of layers); the QGIS styles of the result layers in `public.layer_styles`.

#include <spaceuse/progress.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace spaceuse {

/// Schema the surveys are published to unless told otherwise.
inline constexpr const char* default_publish_schema = "spaceuse";

/// A parsed database reference (see the file comment).
struct DatabaseRef {
    /// The libpq connection string, without spaceuse's keys and without "PG:".
    std::string conninfo;
    std::string schema = default_publish_schema;
    std::string study;
    std::string survey_date;

    /// "PG:..." without any password, for messages.
    std::string label() const;
};

/// Whether `text` is a database reference ("PG:...").
bool is_database_ref(const std::string& text);

/// Parses "PG:..." with spaceuse's optional keys.
/// @throws ConfigError on a malformed string.
DatabaseRef parse_database_ref(const std::string& text);

/// `target` ("PG:...") with spaceuse's keys added, each when not empty (as a libpq value, or in
/// the query string of a URI); any other `target` unchanged.
std::string database_ref_with(const std::string& target, const std::string& schema,
                              const std::string& study, const std::string& survey);

/// What publish_results wrote.
struct PublishReport {
    std::string target;  ///< without password
    std::string schema;
    std::string study;
    std::string survey_date;
    std::string run_id;
    /// Whether the survey was published before (its rows were replaced).
    bool replaced = false;
    struct Table {
        std::string name;
        std::int64_t rows = 0;
        bool created = false;                  ///< the table was new
        std::vector<std::string> new_columns;  ///< columns added to an existing table
    };
    std::vector<Table> tables;
    /// QGIS styles written to public.layer_styles.
    int styles = 0;
};

/// Publishes the results at `results` (a run's output folder or its spaceuse.gpkg) to the
/// database `target` (its schema key names the schema, created when missing; its study key,
/// when given, the study the survey is published under instead of the run's title). Everything
/// happens in one transaction: the survey's earlier rows (same study, same survey date) are
/// replaced, other surveys and studies kept; on any failure the database stays as it was.
/// The run must have a survey date.
/// @throws InputError (results unreadable, no survey date), OutputError (the database refused:
///         unreachable, wrong password, no PostGIS, no privilege, a column of another type).
PublishReport publish_results(const std::string& results, const std::string& target,
                              const ProgressFn& progress = {});

/// A survey held in the database.
struct PublishedSurvey {
    std::string study;
    std::string survey_date;
    std::string run_id;
    std::string published_at;  ///< ISO 8601, UTC
    std::string tool;          ///< "spaceuse x.y.z" that wrote it
};

/// The surveys in the reference's schema, by study then date (filtered by its study and survey
/// keys when given).
/// @throws InputError when the database cannot be read.
std::vector<PublishedSurvey> list_published(const std::string& target);

/// What unpublish removed.
struct UnpublishReport {
    std::string study;
    std::string survey_date;
    bool found = false;     ///< false: there was no such survey (nothing changed)
    std::int64_t rows = 0;  ///< rows removed from the layer tables
};

/// Removes one survey (the reference's survey key, and its study key unless the schema holds
/// one study with a survey of that date) in one transaction.
/// @throws ConfigError (no survey key, ambiguous study), OutputError (the database refused).
UnpublishReport unpublish(const std::string& target);

}  // namespace spaceuse
