#pragma once

/// @file output.hpp
/// Result tables with geometry, and the writers that serialise them. Every writer writes to a
/// temporary file beside the target and renames it into place, so a crash never leaves a
/// half-written output.

#include <spaceuse/crs.hpp>
#include <spaceuse/model.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace spaceuse {

/// A column of an output layer.
struct OutputField {
    std::string name;
    FieldType type = FieldType::real;
    /// Fixed decimals of a real in CSV output; -1 for the writer's default.
    int decimals = -1;
};

/// The values of a result layer, held by column: a column of reals or integers holds 8 bytes a
/// cell, a column of texts one std::string a cell, each cell with a one-byte state (null, typed,
/// other), instead of a 40-byte Value per cell (a million parcels' result rows: 560 MB as
/// variants). A column takes its type from the first value it gets, or from the fields given to
/// prepare(); a value of another type is kept aside exactly as given, so a row reads back the
/// values it was given whatever their types.
///
/// Read a row through operator[] (a Row: its values by column, each a copy), or value(row, col);
/// write whole rows with push_back, or cells with set. After prepare(), distinct rows may be set
/// from several threads at once.
class Rows {
public:
    /// A read-only view of one row. Its cells are copies (`const Value`): bind them by value or
    /// const reference, never a reference to what std::get returns from a cell.
    class Row {
    public:
        Row(const Rows& rows, std::size_t row) noexcept : m_rows(&rows), m_row(row) {}
        std::size_t size() const noexcept;
        const Value operator[](std::size_t column) const { return m_rows->value(m_row, column); }
        /// The values of the row.
        std::vector<Value> values() const;
        operator std::vector<Value>() const { return values(); }  // NOLINT: a row is its values
        /// The row's number in its Rows.
        std::size_t index() const noexcept { return m_row; }

    private:
        const Rows* m_rows;
        std::size_t m_row;
    };

    /// Iterates over the rows as Row views.
    class const_iterator {
    public:
        using iterator_category = std::random_access_iterator_tag;
        using value_type = Row;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = Row;
        const_iterator(const Rows* rows, std::size_t row) noexcept : m_rows(rows), m_row(row) {}
        Row operator*() const noexcept { return Row(*m_rows, m_row); }
        const_iterator& operator++() noexcept {
            ++m_row;
            return *this;
        }
        const_iterator operator+(difference_type n) const noexcept {
            return {m_rows, m_row + static_cast<std::size_t>(n)};
        }
        difference_type operator-(const const_iterator& o) const noexcept {
            return static_cast<difference_type>(m_row) - static_cast<difference_type>(o.m_row);
        }
        bool operator==(const const_iterator& o) const noexcept { return m_row == o.m_row; }
        bool operator!=(const const_iterator& o) const noexcept { return m_row != o.m_row; }

    private:
        const Rows* m_rows;
        std::size_t m_row;
    };

    /// Appends the values of one row to an empty vector (see view()).
    using RowSource = std::function<void(std::size_t row, std::vector<Value>& values)>;

    Rows() = default;
    Rows(std::initializer_list<std::vector<Value>> rows);

    std::size_t size() const noexcept { return m_size; }
    bool empty() const noexcept { return m_size == 0; }
    Row operator[](std::size_t row) const noexcept { return Row(*this, row); }
    Row front() const noexcept { return Row(*this, 0); }
    Row back() const noexcept { return Row(*this, m_size - 1); }
    const_iterator begin() const noexcept { return {this, 0}; }
    const_iterator end() const noexcept { return {this, m_size}; }

    /// The value of a cell; null beyond the row's width.
    Value value(std::size_t row, std::size_t column) const;
    /// The number of values of a row.
    std::size_t width(std::size_t row) const noexcept {
        return m_view ? m_view_width : m_widths.empty() ? m_columns.size() : m_widths[row];
    }

    /// Appends a row.
    void push_back(const std::vector<Value>& row);
    /// Appends the rows of `other`.
    void append(const Rows& other);
    /// Makes every row at least `columns` values wide (the new values null).
    void widen_rows(std::size_t columns);
    void reserve(std::size_t rows);
    void clear();
    /// Makes `rows` rows of `fields.size()` nulls, each column typed from its field (integer,
    /// real, text for strings and dates), ready to be set from several threads.
    void prepare(const std::vector<OutputField>& fields, std::size_t rows);
    /// Sets a cell of an existing row (within its width). Safe from several threads on distinct
    /// rows once the column has a type (after prepare(), or once it has held a value).
    void set(std::size_t row, std::size_t column, const Value& value);
    /// Sets the first values of an existing row, as set() does one by one.
    void set_row(std::size_t row, const std::vector<Value>& values);

    /// Rows equal value for value (types included).
    bool operator==(const Rows& other) const;

    /// Makes these rows a view: `rows` rows of `columns` values each, made on demand by
    /// `source`, which must give a row the same values every time and may be called from
    /// several threads at once. A result layer that presents a metric's result (the parcels of
    /// occupancy, the origins of access) then holds no second copy of it: a million parcels'
    /// rows cost nothing until written, one row at a time. Copies share the view; a change to
    /// the rows (push_back, set, widen_rows...) first turns them into stored columns, from one
    /// thread.
    void view(std::size_t rows, std::size_t columns, RowSource source);
    /// Whether the rows are a view.
    bool is_view() const noexcept { return m_view != nullptr; }

private:
    enum class Kind : std::uint8_t { none, integer, real, text };
    /// Cell states.
    static constexpr std::uint8_t kNull = 0, kTyped = 1, kOther = 2;
    struct Column {
        Kind kind = Kind::none;
        std::vector<std::uint8_t> state;
        std::vector<std::int64_t> integers;
        std::vector<double> reals;
        std::vector<std::string> texts;
    };
    /// A mutex that copies as a new one (Rows stay copyable).
    struct Lock {
        std::mutex mutex;
        Lock() = default;
        Lock(const Lock&) noexcept {}
        Lock& operator=(const Lock&) noexcept { return *this; }
    };

    struct View;
    /// Turns a view into stored columns (no-op for stored rows).
    void materialise();
    void widen(std::size_t columns);
    void grow(std::size_t rows);
    static bool fits(const Column& column, const Value& value) noexcept;

    std::size_t m_size = 0;
    std::vector<Column> m_columns;
    /// Width of each row when rows differ in width (empty while every row has them all).
    std::vector<std::uint32_t> m_widths;
    /// Values that differ in type from their column, by (row, column).
    std::map<std::pair<std::size_t, std::size_t>, Value> m_other;
    Lock m_lock;
    std::shared_ptr<const View> m_view;
    std::size_t m_view_width = 0;
};

/// A layer of results: fields, one row of values per feature and (optionally) its geometry in
/// the analysis CRS. Read geometries through has_geometry() and geometry(row), which cover both
/// ways of holding them.
struct OutputLayer {
    std::string name;
    std::vector<OutputField> fields;
    /// Empty, or one geometry per row.
    std::vector<Geometry> geometries;
    /// Instead of `geometries`, for a layer with one row per feature of a loaded layer: row i
    /// has the geometry of feature i of this layer, which the pointer keeps alive (results per
    /// parcel then hold no second copy of the parcels). Its features must match the rows.
    std::shared_ptr<const Layer> geometry_source;
    /// Or else, for rows whose geometries a metric's result holds: the geometry of row i, which
    /// the function keeps alive (it holds the result's owner). Set only when there are rows; all
    /// of one kind (the writers read the kind from the first).
    std::function<const Geometry&(std::size_t)> geometry_at;
    Rows rows;

    /// Whether the rows have geometries.
    bool has_geometry() const noexcept {
        return geometry_source != nullptr || geometry_at || !geometries.empty();
    }
    /// The geometry of a row (has_geometry() must hold).
    const Geometry& geometry(std::size_t row) const {
        if (geometry_source) {
            return geometry_source->features[row].geometry;
        }
        return geometry_at ? geometry_at(row) : geometries[row];
    }
};

/// How files are written.
struct WriteOptions {
    /// Decimals of WGS84 coordinates in GeoJSON (7 ≈ 1 cm). A feature whose rounded geometry
    /// would be invalid keeps full precision.
    int precision = 7;
    /// Replace existing files; without it an existing target is an error.
    bool overwrite = false;
    /// Threads that turn features into GeoJSON text (0: one per core). The bytes written are the
    /// same for every thread count; run_study fills it from Study::threads when left at 0.
    unsigned threads = 0;
};

/// Counts from writing one GeoJSON file.
struct GeoJsonStats {
    std::size_t features = 0;
    /// Features kept at full precision because rounding made them invalid.
    std::size_t full_precision = 0;
};

/// Writes an RFC 7946 GeoJSON file: WGS84 lon/lat (transformed from `crs`), counter-clockwise
/// exterior rings, no `crs` member, properties in field order.
/// @throws OutputError when the file exists (and overwrite is off) or cannot be written.
GeoJsonStats write_geojson(const OutputLayer& layer, const CrsInfo& crs, const std::string& path,
                           const WriteOptions& options);

/// The same GeoJSON text as write_geojson, as a string (for documents that embed the data).
/// @throws OutputError when a geometry cannot be transformed to WGS84.
std::string geojson_text(const OutputLayer& layer, const CrsInfo& crs, const WriteOptions& options);

/// Writes GeoJSON in the analysis CRS `crs` (coordinates to 1 mm) with a GeoJSON 2008 `crs`
/// member naming its authority code, which QGIS and GDAL read. Not RFC 7946: for users who want
/// the projected coordinates.
/// @throws ConfigError when `crs` has no authority code; OutputError as write_geojson.
GeoJsonStats write_geojson_native(const OutputLayer& layer, const CrsInfo& crs,
                                  const std::string& path, const WriteOptions& options);

/// Writes a UTF-8 CSV with a header; reals with `decimals` fixed decimals, nulls empty.
/// @throws OutputError as write_geojson.
void write_csv(const OutputLayer& layer, const std::string& path, const WriteOptions& options,
               int decimals = 2);

/// Writes text to `path` atomically (temporary file, then rename).
/// @throws OutputError as write_geojson.
void write_text_file(const std::string& path, const std::string& text, const WriteOptions& options);

/// Creates `dir` (and parents) when missing. @throws OutputError.
void ensure_directory(const std::string& dir);

}  // namespace spaceuse
