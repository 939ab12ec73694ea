#include "metric_flags.hpp"

#include "describe.hpp"

#include <spaceuse/error.hpp>

#include <map>

namespace spaceuse::cli {

const MetricRegistry& builtin_registry() {
    static const MetricRegistry registry = [] {
        MetricRegistry r;
        register_builtin_metrics(r);
        return r;
    }();
    return registry;
}

namespace {

/// What `spaceuse describe` says of a metric option's flag: its declaration, as it is.
ParamKind param_kind(const OptionSpec& spec) {
    ParamKind k;
    switch (spec.type) {
    case OptionType::number:
        k.type = "number";
        break;
    case OptionType::integer:
        k.type = "integer";
        break;
    case OptionType::boolean:
        k.type = "boolean";
        break;
    case OptionType::choice:
        k.type = "enum";
        break;
    case OptionType::list:
        k.type = "list";
        break;
    case OptionType::number_list:
        k.type = "number_list";
        break;
    case OptionType::date:
        k.type = "date";
        break;
    case OptionType::file:
        k.type = "file";
        break;
    case OptionType::folder:
        k.type = "folder";
        break;
    case OptionType::field:
        k.type = "field";
        break;
    case OptionType::text:
        k.type = "text";
        break;
    }
    k.role = spec.layer;
    k.unit = spec.unit;
    k.min = spec.min;
    k.max = spec.max;
    k.min_exclusive = spec.min_exclusive;
    k.choices = spec.choices;
    if (spec.type == OptionType::boolean) {
        k.default_text = option_text(spec.default_value);
    }
    if (spec.type == OptionType::boolean && spec.flag.rfind("no-", 0) == 0) {
        k.negated = true;
        k.name = spec.name;
    }
    return k;
}

}  // namespace

void MetricFlags::add(CLI::App& sub, const MetricInfo& info) {
    for (const auto& spec : info.options) {
        if (spec.flag.empty()) {
            continue;
        }
        auto flag = std::make_unique<Flag>();
        flag->spec = spec;
        std::string help = spec.help;
        if (!spec.unit.empty() && spec.unit != spec.help) {
            help += " (" + spec.unit + ")";
        }
        if (!spec.choices.empty()) {
            std::string list;
            for (const auto& c : spec.choices) {
                list += (list.empty() ? "" : ", ") + c;
            }
            help += "; one of " + list;
        }
        const std::string name = "--" + spec.flag;
        switch (spec.type) {
        case OptionType::boolean:
            flag->option = sub.add_flag(
                name, flag->set, spec.flag.rfind("no-", 0) == 0 ? "Turn off: " + help : help);
            break;
        case OptionType::list:
            flag->option = sub.add_option(name, flag->items, help + "; repeatable or a,b,c");
            break;
        default:
            flag->option = sub.add_option(name, flag->text, help);
            break;
        }
        static const std::map<OptionType, const char*> type_names = {
            {OptionType::number, "NUMBER"},       {OptionType::integer, "INT"},
            {OptionType::number_list, "NUMBERS"}, {OptionType::list, "TEXT"},
            {OptionType::file, "FILE"},           {OptionType::folder, "FOLDER"},
            {OptionType::field, "FIELD"},         {OptionType::date, "DATE"},
            {OptionType::choice, "CHOICE"}};
        if (const auto it = type_names.find(spec.type); it != type_names.end()) {
            flag->option->type_name(it->second);
        }
        const std::string shown = option_text(spec.default_value);
        if (!shown.empty() && spec.type != OptionType::boolean) {
            flag->option->default_str(shown);
        }
        flag->option->group("Options of the " + info.name + " metric");
        describe_as(flag->option, param_kind(spec));
        m_flags.push_back(std::move(flag));
    }
}

void MetricFlags::apply(MetricRun& run) const {
    for (const auto& flag : m_flags) {
        if (flag->option->count() == 0) {
            continue;
        }
        const OptionSpec& spec = flag->spec;
        if (spec.type == OptionType::boolean) {
            // "--no-x" sets x to false ("--no-x=false" to true).
            run.options[spec.name] = spec.flag.rfind("no-", 0) == 0 ? !flag->set : flag->set;
        } else if (spec.type == OptionType::list) {
            run.options[spec.name] = flag->items;
        } else {
            run.options[spec.name] = flag->text;
        }
    }
}

std::string MetricFlags::hint(const std::string& message) const {
    for (const auto& flag : m_flags) {
        if (message.find("option '" + flag->spec.name + "'") != std::string::npos) {
            return message + " (flag --" + flag->spec.flag + ")";
        }
    }
    return message;
}

}  // namespace spaceuse::cli
