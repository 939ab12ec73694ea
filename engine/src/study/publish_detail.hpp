#pragma once

// libpq connections and the reading side of published surveys (publish.cpp), for open_results.

#include <spaceuse/io.hpp>
#include <spaceuse/publish.hpp>

#include <gdal_priv.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct pg_conn;
struct pg_result;

namespace spaceuse::detail {

/// Test hook: publish_results fails after writing everything, before COMMIT.
extern bool g_publish_fail_before_commit;

/// A query result (PQclear on destruction).
class PgResult {
public:
    explicit PgResult(pg_result* res) : m_res(res) {}
    ~PgResult();
    PgResult(PgResult&& o) noexcept : m_res(o.m_res) { o.m_res = nullptr; }
    PgResult(const PgResult&) = delete;
    PgResult& operator=(const PgResult&) = delete;
    PgResult& operator=(PgResult&&) = delete;
    int rows() const;
    /// The text of a cell ("" for null).
    std::string value(int row, int col) const;
    bool is_null(int row, int col) const;

private:
    pg_result* m_res;
};

/// One libpq connection. Errors are one line naming the target without its password:
/// OutputError when writing, InputError when reading. An open transaction is rolled back when
/// the connection goes (an exception on the way).
class PgConnection {
public:
    PgConnection(const DatabaseRef& ref, bool for_writing);
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    /// Runs `sql` with text parameters $1, $2...
    PgResult exec(const std::string& sql, const std::vector<std::string>& params = {});
    void begin();
    void commit();
    /// COPY ... FROM STDIN; `chunk(buffer)` fills the next piece and returns false after the last.
    void copy_in(const std::string& sql, const std::function<bool(std::string&)>& chunk);
    /// A quoted identifier / literal.
    std::string ident(const std::string& name) const;
    std::string literal(const std::string& value) const;
    [[noreturn]] void fail(const std::string& what) const;

private:
    void exec_copy_start(const std::string& sql);
    pg_conn* m_conn = nullptr;
    std::string m_label;
    bool m_writing = false;
    bool m_in_transaction = false;
};

/// A published survey opened for reading: the snapshot's keys and layer list from the runs
/// table, its tables through GDAL's PostgreSQL driver.
struct PublishedSnapshot {
    std::string label;
    std::string run_id;
    std::map<std::string, std::string> keys;
    std::vector<nlohmann::json> metas;
    GDALDatasetUniquePtr ds;
    std::string schema_sql;
    std::map<std::string, std::string> table_sql;
    std::string run_literal;
    DatabaseRef ref;

    /// Throws when the run is no longer published (removed or replaced while it was read).
    void check_still_published() const;
    /// The rows of `table` of this run, in the run's order (release with close_table); null
    /// for a table the run does not list.
    OGRLayer* open_table(const std::string& table);
    void close_table(OGRLayer* layer);
};

/// SHA-256 (hex) over a database table's rows in id order, as PostgreSQL prints them (row
/// text joined by newlines); nullopt when it cannot be computed.
std::optional<std::string> database_table_sha256(const LayerSource& source);

/// Finds the one survey `ref` names (its study and survey keys may be left out when there is
/// only one) and opens it.
/// @throws InputError.
PublishedSnapshot read_published(const DatabaseRef& ref);

}  // namespace spaceuse::detail
