#!/bin/sh
# Checks that every C++ source and header (*.cpp, *.hpp, *.h) is formatted as .clang-format says.
# The files are the tracked ones in a git checkout, else those found in the tree (build and
# hidden folders left out). Prints the files that are not formatted and exits 1.
#   scripts/check-format.sh          check
#   scripts/check-format.sh --diff   also print what clang-format would change
# Exit codes: 0 formatted, 1 files not formatted, 2 other error, 77 clang-format not installed.
# CLANG_FORMAT names another clang-format (the style is tuned for clang-format 14, Debian
# bookworm's; other versions may format some constructs differently).
set -eu

show_diff=0
for arg in "$@"; do
    case "$arg" in
        --diff) show_diff=1 ;;
        -h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "check-format.sh: unknown option '$arg'" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")/.."
root="$(pwd -P)"

clang_format="${CLANG_FORMAT:-clang-format}"
if ! command -v "$clang_format" >/dev/null 2>&1; then
    echo "check-format.sh: $clang_format not found: format check skipped" \
         "(install it: scripts/setup.sh --tests, or apt-get install clang-format)" >&2
    exit 77
fi
# A broken .clang-format must not read as "files not formatted".
if ! "$clang_format" --style=file --assume-filename=check.cpp --dump-config >/dev/null; then
    echo "check-format.sh: $clang_format cannot use $root/.clang-format" >&2
    exit 2
fi

in_git=0
list="$(mktemp)"
trap 'rm -f "$list"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if command -v git >/dev/null 2>&1 \
        && [ "$(git rev-parse --show-toplevel 2>/dev/null || true)" = "$root" ]; then
    in_git=1
    git -c core.quotePath=false ls-files -- '*.cpp' '*.hpp' '*.h' >"$list"
else
    find . \( -name '.?*' -o -path './build*' -o -path ./out -o -path ./spaceuse-out \
              -o -name node_modules -o -name CMakeFiles -o -name _deps \) -prune \
           -o -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print \
        | sed 's|^\./||' | LC_ALL=C sort >"$list"
fi

checked=0
bad=""
nl='
'
while IFS= read -r file; do
    # Deleted in the working tree but not yet in the index: nothing to check.
    [ -f "$file" ] || continue
    checked=$((checked + 1))
    if ! "$clang_format" --style=file --dry-run --Werror "$file" >/dev/null 2>&1; then
        bad="$bad$file$nl"
    fi
done <"$list"

if [ "$checked" = 0 ]; then
    echo "check-format.sh: no C++ files found under $root" >&2
    exit 2
fi
if [ -z "$bad" ]; then
    echo "check-format.sh: $checked files formatted ($("$clang_format" --version))"
    exit 0
fi

count=$(printf '%s' "$bad" | grep -c '')
echo "check-format.sh: $count of $checked C++ files are not formatted as .clang-format says:" >&2
printf '%s' "$bad" | sed 's/^/    /' >&2
if [ "$show_diff" = 1 ]; then
    printf '%s' "$bad" | while IFS= read -r file; do
        "$clang_format" --style=file "$file" | diff -u --label "a/$file" --label "b/$file" "$file" - || true
    done
fi
if [ "$count" -le 10 ] || [ "$in_git" = 0 ]; then
    fix="$clang_format -i $(printf '%s' "$bad" | tr '\n' ' ' | sed 's/ $//')"
else
    fix="git ls-files -z '*.cpp' '*.hpp' '*.h' | xargs -0 $clang_format -i"
fi
cat >&2 <<EOF
To fix, run from the top of the source tree (clang-format -i FILE formats one file):
    $fix
then review and commit the changes; scripts/check-format.sh --diff shows them beforehand.
EOF
case "$("$clang_format" --version)" in
    *"version 14."*) ;;
    *) echo "note: $("$clang_format" --version) is not clang-format 14, which the style is tuned for" >&2 ;;
esac
exit 1
