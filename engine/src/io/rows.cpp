#include <spaceuse/output.hpp>

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace spaceuse {

struct Rows::View {
    /// Unique among the views of a run: the key of each thread's last-row cache.
    std::uint64_t id = 0;
    RowSource source;
};

namespace {

std::atomic<std::uint64_t> g_next_view{1};

}  // namespace

std::size_t Rows::Row::size() const noexcept { return m_rows->width(m_row); }

std::vector<Value> Rows::Row::values() const {
    std::vector<Value> out;
    const std::size_t n = size();
    out.reserve(n);
    for (std::size_t c = 0; c < n; ++c) {
        out.push_back(m_rows->value(m_row, c));
    }
    return out;
}

Rows::Rows(std::initializer_list<std::vector<Value>> rows) {
    reserve(rows.size());
    for (const auto& row : rows) {
        push_back(row);
    }
}

Value Rows::value(std::size_t row, std::size_t column) const {
    if (row >= m_size || column >= width(row)) {
        return Value(std::monostate{});
    }
    if (m_view) {
        // Writers read a row's values one after the other: each thread keeps the last row it
        // made, so a row is made once per reading, not once per value.
        thread_local std::uint64_t cached_view = 0;
        thread_local std::size_t cached_row = 0;
        thread_local std::vector<Value> cached;
        if (cached_view != m_view->id || cached_row != row) {
            cached_view = 0;
            cached.clear();
            m_view->source(row, cached);
            cached_view = m_view->id;
            cached_row = row;
        }
        return column < cached.size() ? cached[column] : Value(std::monostate{});
    }
    const Column& c = m_columns[column];
    switch (c.state[row]) {
    case kTyped:
        switch (c.kind) {
        case Kind::integer:
            return Value(c.integers[row]);
        case Kind::real:
            return Value(c.reals[row]);
        case Kind::text:
            return Value(c.texts[row]);
        case Kind::none:
            break;
        }
        break;
    case kOther: {
        const auto it = m_other.find({row, column});
        if (it != m_other.end()) {
            return it->second;
        }
        break;
    }
    default:
        break;
    }
    return Value(std::monostate{});
}

bool Rows::fits(const Column& column, const Value& value) noexcept {
    switch (column.kind) {
    case Kind::integer:
        return std::holds_alternative<std::int64_t>(value);
    case Kind::real:
        return std::holds_alternative<double>(value);
    case Kind::text:
        return std::holds_alternative<std::string>(value);
    case Kind::none:
        break;
    }
    return false;
}

void Rows::widen(std::size_t columns) {
    if (columns <= m_columns.size()) {
        return;
    }
    if (!m_columns.empty() || m_size > 0) {
        // Rows so far keep their width; from now on widths are kept per row.
        if (m_widths.empty()) {
            m_widths.assign(m_size, static_cast<std::uint32_t>(m_columns.size()));
        }
    }
    const std::size_t old = m_columns.size();
    m_columns.resize(columns);
    for (std::size_t c = old; c < columns; ++c) {
        m_columns[c].state.assign(m_size, kNull);
    }
}

void Rows::grow(std::size_t rows) {
    for (Column& c : m_columns) {
        c.state.resize(rows, kNull);
        switch (c.kind) {
        case Kind::integer:
            c.integers.resize(rows);
            break;
        case Kind::real:
            c.reals.resize(rows);
            break;
        case Kind::text:
            c.texts.resize(rows);
            break;
        case Kind::none:
            break;
        }
    }
    if (!m_widths.empty()) {
        m_widths.resize(rows, static_cast<std::uint32_t>(m_columns.size()));
    }
    m_size = rows;
}

void Rows::view(std::size_t rows, std::size_t columns, RowSource source) {
    clear();
    auto v = std::make_shared<View>();
    v->id = g_next_view.fetch_add(1);
    v->source = std::move(source);
    m_view = std::move(v);
    m_view_width = columns;
    m_size = rows;
}

void Rows::materialise() {
    if (!m_view) {
        return;
    }
    const std::shared_ptr<const View> v = std::move(m_view);
    m_view.reset();
    const std::size_t rows = m_size;
    const std::size_t columns = m_view_width;
    m_size = 0;
    m_view_width = 0;
    reserve(rows);
    std::vector<Value> values;
    for (std::size_t r = 0; r < rows; ++r) {
        values.clear();
        v->source(r, values);
        values.resize(columns);
        push_back(values);
    }
}

void Rows::push_back(const std::vector<Value>& row) {
    materialise();
    const bool ragged = !m_widths.empty() || (m_size > 0 && row.size() != m_columns.size());
    if (ragged && m_widths.empty()) {
        m_widths.assign(m_size, static_cast<std::uint32_t>(m_columns.size()));
    }
    widen(row.size());
    const std::size_t r = m_size;
    grow(r + 1);
    if (ragged) {
        m_widths[r] = static_cast<std::uint32_t>(row.size());
    }
    for (std::size_t c = 0; c < row.size(); ++c) {
        set(r, c, row[c]);
    }
}

void Rows::append(const Rows& other) {
    materialise();
    reserve(m_size + other.m_size);
    for (std::size_t r = 0; r < other.m_size; ++r) {
        push_back(other[r].values());
    }
}

void Rows::widen_rows(std::size_t columns) {
    materialise();
    widen(columns);
    if (m_widths.empty()) {
        return;
    }
    bool all = true;
    for (auto& w : m_widths) {
        w = std::max<std::uint32_t>(w, static_cast<std::uint32_t>(columns));
        all = all && w == m_columns.size();
    }
    if (all) {
        m_widths.clear();
    }
}

void Rows::reserve(std::size_t rows) {
    if (m_view) {
        return;
    }
    for (Column& c : m_columns) {
        c.state.reserve(rows);
        switch (c.kind) {
        case Kind::integer:
            c.integers.reserve(rows);
            break;
        case Kind::real:
            c.reals.reserve(rows);
            break;
        case Kind::text:
            c.texts.reserve(rows);
            break;
        case Kind::none:
            break;
        }
    }
}

void Rows::clear() {
    m_view.reset();
    m_view_width = 0;
    m_size = 0;
    m_columns.clear();
    m_widths.clear();
    m_other.clear();
}

void Rows::prepare(const std::vector<OutputField>& fields, std::size_t rows) {
    clear();
    m_columns.resize(fields.size());
    for (std::size_t c = 0; c < fields.size(); ++c) {
        switch (fields[c].type) {
        case FieldType::integer:
            m_columns[c].kind = Kind::integer;
            break;
        case FieldType::real:
            m_columns[c].kind = Kind::real;
            break;
        case FieldType::string:
        case FieldType::date:
            m_columns[c].kind = Kind::text;
            break;
        }
    }
    grow(rows);
}

void Rows::set(std::size_t row, std::size_t column, const Value& value) {
    materialise();
    if (row >= m_size || column >= width(row)) {
        throw std::out_of_range("Rows::set: no cell (" + std::to_string(row) + ", " +
                                std::to_string(column) + ")");
    }
    Column& c = m_columns[column];
    const bool was_other = c.state[row] == kOther;
    if (std::holds_alternative<std::monostate>(value)) {
        c.state[row] = kNull;
    } else {
        if (c.kind == Kind::none) {
            // The column's first value gives its type (single-threaded: see the class comment).
            c.kind = std::holds_alternative<std::int64_t>(value) ? Kind::integer
                     : std::holds_alternative<double>(value)     ? Kind::real
                                                                 : Kind::text;
            grow(m_size);
        }
        if (fits(c, value)) {
            switch (c.kind) {
            case Kind::integer:
                c.integers[row] = std::get<std::int64_t>(value);
                break;
            case Kind::real:
                c.reals[row] = std::get<double>(value);
                break;
            case Kind::text:
                c.texts[row] = std::get<std::string>(value);
                break;
            case Kind::none:
                break;
            }
            c.state[row] = kTyped;
        } else {
            const std::lock_guard<std::mutex> lock(m_lock.mutex);
            m_other[{row, column}] = value;
            c.state[row] = kOther;
            return;
        }
    }
    if (was_other) {
        const std::lock_guard<std::mutex> lock(m_lock.mutex);
        m_other.erase({row, column});
    }
}

void Rows::set_row(std::size_t row, const std::vector<Value>& values) {
    materialise();
    for (std::size_t c = 0; c < values.size(); ++c) {
        set(row, c, values[c]);
    }
}

bool Rows::operator==(const Rows& other) const {
    if (m_size != other.m_size) {
        return false;
    }
    for (std::size_t r = 0; r < m_size; ++r) {
        if (width(r) != other.width(r)) {
            return false;
        }
        for (std::size_t c = 0; c < width(r); ++c) {
            if (value(r, c) != other.value(r, c)) {
                return false;
            }
        }
    }
    return true;
}

}  // namespace spaceuse
