#pragma once

/// @file error.hpp
/// Exceptions thrown by the spaceuse engine. The engine never prints and never exits:
/// every failure is one of these, carrying the context a user needs to find the cause.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace spaceuse {

/// Base class of every engine error. The message is one line; context (source, layer,
/// feature id, metric) can be added while the error propagates and is prepended to it.
/// `source` ("PG:...") without its password.
std::string source_without_secrets(const std::string& source);

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message), m_message(message) {}

    /// The full one-line message: "source: layer 'L': feature 12: what went wrong".
    const char* what() const noexcept override {
        return m_full.empty() ? m_message.c_str() : m_full.c_str();
    }

    /// Sets the data source (file path or connection string) the error relates to. A
    /// connection string is shown without its password.
    Error& set_source(const std::string& source) {
        if (m_source.empty()) {
            m_source = source.rfind("PG:", 0) == 0 ? source_without_secrets(source) : source;
        }
        rebuild();
        return *this;
    }
    /// Sets the layer name the error relates to.
    Error& set_layer(const std::string& layer) {
        if (m_layer.empty()) {
            m_layer = layer;
        }
        rebuild();
        return *this;
    }
    /// Sets the source feature id the error relates to.
    Error& set_feature(std::int64_t fid) {
        if (!m_feature) {
            m_feature = fid;
        }
        rebuild();
        return *this;
    }

    const std::string& source() const noexcept { return m_source; }
    const std::string& layer() const noexcept { return m_layer; }
    std::optional<std::int64_t> feature() const noexcept { return m_feature; }
    /// The bare message without context.
    const std::string& message() const noexcept { return m_message; }

private:
    void rebuild() {
        m_full.clear();
        if (!m_source.empty()) {
            m_full += m_source + ": ";
        }
        if (!m_layer.empty()) {
            m_full += "layer '" + m_layer + "': ";
        }
        if (m_feature) {
            m_full += "feature " + std::to_string(*m_feature) + ": ";
        }
        m_full += m_message;
    }

    std::string m_message;
    std::string m_full;
    std::string m_source;
    std::string m_layer;
    std::optional<std::int64_t> m_feature;
};

/// Base of the error kinds: the context setters return the derived type, so
/// `throw InputError("...").set_source(path)` throws an InputError, not a sliced Error.
template <typename Derived>
class ErrorKind : public Error {
public:
    using Error::Error;
    Derived& set_source(const std::string& source) {
        Error::set_source(source);
        return static_cast<Derived&>(*this);
    }
    Derived& set_layer(const std::string& layer) {
        Error::set_layer(layer);
        return static_cast<Derived&>(*this);
    }
    Derived& set_feature(std::int64_t fid) {
        Error::set_feature(fid);
        return static_cast<Derived&>(*this);
    }
};

/// Unreadable or unusable input data (missing file, no CRS, wrong geometry type...).
class InputError : public ErrorKind<InputError> {
public:
    using ErrorKind::ErrorKind;
};

/// Invalid configuration: bad option value, unknown key in a project file.
class ConfigError : public ErrorKind<ConfigError> {
public:
    using ErrorKind::ErrorKind;
};

/// A geometry operation failed in a way that cannot be repaired.
class GeometryError : public ErrorKind<GeometryError> {
public:
    using ErrorKind::ErrorKind;
};

/// A metric plugin could not be loaded or registered.
class PluginError : public ErrorKind<PluginError> {
public:
    using ErrorKind::ErrorKind;
};

/// Output could not be written.
class OutputError : public ErrorKind<OutputError> {
public:
    using ErrorKind::ErrorKind;
};

/// The progress callback asked to stop.
class CancelledError : public ErrorKind<CancelledError> {
public:
    CancelledError() : ErrorKind("cancelled") {}
};

}  // namespace spaceuse
