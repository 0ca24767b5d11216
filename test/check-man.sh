#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Checks that the man pages document every key of key_table[] (under its
# section's heading), every command of verbs[] with the options it takes (in its
# synopsis line, under OPTIONS and in the bash completion), every exit status of the helper,
# every member of the D-Bus interfaces (units/org.virtualing1.*.xml) and every
# variable of a hook's environment (src/watcher/hook.c). Prints TAP.
# Usage: check-man.sh SOURCE_DIR
set -u

src=${1:?usage: check-man.sh SOURCE_DIR}
load_c=$src/src/shared/jail-load.c
ctl_c=$src/src/ctl/virtualing.c
completion=$src/src/ctl/virtualing.bash-completion
conf_scd=$src/man/virtualing.conf.5.scd
cmd_scd=$src/man/virtualing.1.scd

# Lines of the C array whose declaration matches $2, up to its closing "};".
array_body() {
        awk -v start="$2" '
                index($0, start) { inside = 1; next }
                inside && /^[[:space:]]*};/ { exit }
                inside { print }
        ' "$1"
}

# "Section Key" for each row { "Section", "Key", parser }.
mapfile -t keys < <(array_body "$load_c" 'key_table[] = {' |
        sed -nE 's/^[[:space:]]*\{[[:space:]]*"([A-Za-z]+)",[[:space:]]*"([A-Za-z0-9]+)",.*/\1 \2/p')
# Command names for each row { "name", function, VERB_OPTIONS, "arguments" }.
verbs_body=$(array_body "$ctl_c" 'verbs[] = {')
mapfile -t verbs < <(sed -nE 's/^[[:space:]]*\{[[:space:]]*"([a-z-]+)",.*/\1/p' <<<"$verbs_body")
# The options of a command, from its row's VERB_* flags: VERB_NO_PAGER is --no-pager.
verb_options() {
        grep -E "^[[:space:]]*\{[[:space:]]*\"$1\"," <<<"$verbs_body" | grep -oE 'VERB_[A-Z_]+' |
                sed -E 's/^VERB_//; s/_/-/g; s/^/--/' | tr '[:upper:]' '[:lower:]'
}
mapfile -t all_options < <(for v in "${verbs[@]}"; do verb_options "$v"; done | sort -u)

# The term lines of a definition list: a line at the left margin followed by a
# tab-indented line. For the .5 page each is prefixed with the section
# ("Jail", "Resources", ...) whose "# [SECTION] SECTION OPTIONS" heading it is under.
terms() {
        awk '
                /^# / {
                        section = ""
                        if (match($0, /^# \[[A-Za-z]+\] SECTION OPTIONS$/))
                                section = tolower(substr($0, 4, index($0, "]") - 4))
                }
                prev != "" && /^\t/ { print sec_of_prev "\t" prev }
                { prev = ($0 ~ /^[^\t# ;]/) ? $0 : ""; sec_of_prev = section }
        ' "$1"
}

conf_terms=$(terms "$conf_scd" 2>/dev/null)
cmd_terms=$(terms "$cmd_scd" 2>/dev/null)

n=0
failed=0
ok() {
        n=$((n + 1))
        if [ "$1" -eq 0 ]; then
                echo "ok $n - $2"
        else
                echo "not ok $n - $2"
                failed=1
        fi
}

# virtualing-helper's exit statuses: helper.h against the EXIT STATUS table
mapfile -t statuses < <(grep -oE 'HELPER_EXIT_[A-Z_]+ = [0-9]+' "$src/src/helper/helper.h" | awk '{print $3}')
helper_table=$(awk '/^# EXIT STATUS/{on=1; next} /^# /{on=0} on' "$src/man/virtualing-helper.8.scd" 2>/dev/null |
        grep -oE '^[[|] +\*[0-9]+\*' | grep -oE '[0-9]+')

# D-Bus: "kind name" for each <method|property|signal name="..."> of an interface file
xml_members() {
        grep -oE '<(method|property|signal) name="[A-Za-z0-9_]+"' "$1" 2>/dev/null |
                sed -E 's/^<([a-z]+) name="([^"]+)"$/\1 \2/'
}
mapfile -t mgr_members < <(xml_members "$src/units/org.virtualing1.Manager.xml")
mapfile -t jail_members < <(xml_members "$src/units/org.virtualing1.Jail.xml")
# The term lines (starting with a bold word) under "# INTERFACE IFACE" of the D-Bus
# page, each prefixed with its subsection: "methods", "properties" or "signals".
iface_terms() {
        awk -v h="# INTERFACE $2" '
                $0 == h { on = 1; part = ""; next }
                /^# / { on = 0 }
                !on { next }
                /^## / { part = tolower(substr($0, 4)); next }
                /^\*[A-Za-z0-9_]+\*/ { print part "\t" $0 }
        ' "$1" 2>/dev/null
}
dbus_scd=$src/man/org.virtualing1.5.scd
mgr_terms=$(iface_terms "$dbus_scd" org.virtualing1.Manager)
jail_terms=$(iface_terms "$dbus_scd" org.virtualing1.Jail)

# The VIRTUALING_* variables hook.c puts in a hook's environment, against the
# rows of the table in the HOOKS section of the watcher's page
mapfile -t hook_vars < <(grep -oE '"VIRTUALING_[A-Z_]+=' "$src/src/watcher/hook.c" | tr -d '"=' | sort -u)
hook_table=$(awk '/^# HOOKS$/{on=1; next} /^# /{on=0} on' "$src/man/virtualing-watcher.8.scd" 2>/dev/null |
        grep -oE '^[[|] +\*[A-Z_]+\*' | grep -oE '[A-Z_]+')

echo "1..$((4 + ${#keys[@]} + 3 * ${#verbs[@]} + 1 + ${#all_options[@]} + ${#statuses[@]} + 1 + 2 + ${#mgr_members[@]} + ${#jail_members[@]} + ${#hook_vars[@]}))"

[ ${#keys[@]} -ge 30 ]
ok $? "key_table[] in ${load_c#"$src"/} yields ${#keys[@]} keys"
[ ${#verbs[@]} -ge 1 ]
ok $? "verbs[] in ${ctl_c#"$src"/} yields ${#verbs[@]} commands"
[ -n "$conf_terms" ] && [ -n "$cmd_terms" ]
ok $? "definition lists found in man/virtualing.conf.5.scd and man/virtualing.1.scd"

for entry in "${keys[@]}"; do
        section=${entry% *}
        key=${entry#* }
        lc=$(tr '[:upper:]' '[:lower:]' <<<"$section")
        grep -qF -- "*$key=*" <<<"$(awk -F '\t' -v s="$lc" '$1 == s { print $2 }' <<<"$conf_terms")"
        ok $? "[$section] $key= is documented in man/virtualing.conf.5.scd"
done

# Every key documented under a section heading exists in that section.
stale=""
while IFS=$'\t' read -r lc term; do
        [ -n "$lc" ] || continue
        for k in $(grep -oE '\*[A-Za-z0-9]+=\*' <<<"$term" | tr -d '*='); do
                found=0
                for entry in "${keys[@]}"; do
                        if [ "$(tr '[:upper:]' '[:lower:]' <<<"${entry% *}")" = "$lc" ] && [ "${entry#* }" = "$k" ]; then
                                found=1
                                break
                        fi
                done
                [ $found -eq 1 ] || stale="$stale [$lc] $k="
        done
done <<<"$conf_terms"
[ -z "$stale" ]
ok $? "man/virtualing.conf.5.scd documents no key missing from key_table[]${stale:+:$stale}"

for verb in "${verbs[@]}"; do
        grep -qE -- "^\*$verb\*( |\$)" <<<"$(cut -f2 <<<"$cmd_terms")"
        ok $? "command '$verb' is documented in man/virtualing.1.scd"
done

# As a synopsis shows an option: *--no-pager*; --quiet as *-q*.
man_form() { if [ "$1" = --quiet ]; then echo '*-q*'; else echo "*$1*"; fi; }
[ ${#all_options[@]} -ge 1 ]
ok $? "verbs[] yields ${#all_options[@]} options: ${all_options[*]}"
for verb in "${verbs[@]}"; do
        # the synopsis line of COMMANDS names exactly the options of verbs[]
        line=$(cut -f2 <<<"$cmd_terms" | grep -E -- "^\*$verb\*( |\$)" | head -n 1)
        want=$(for o in $(verb_options "$verb"); do man_form "$o"; done | sort)
        got=$(grep -oE -- '\*--?[a-z-]+\*' <<<"$line" | sort)
        [ "$want" = "$got" ]
        ok $? "man/virtualing.1.scd: '$verb' is shown with its options ($(echo $want))${got:+, found $(echo $got)}"
        # its case in the completion offers each of them
        block=$(awk -v v="$verb" '
                !on && $0 ~ "^[[:space:]]*" v "\\)" { on = 1 }
                on { print }
                on && /;;/ { exit }' "$completion")
        missing=""
        for o in $(verb_options "$verb"); do
                grep -qE -- "(^|[' ])$o([' =]|\$)" <<<"$block" || missing="$missing $o"
        done
        [ -n "$block" ] && [ -z "$missing" ]
        ok $? "the bash completion offers the options of '$verb'${missing:+; missing:$missing}"
done
for o in "${all_options[@]}"; do
        grep -qF -- "*$o*" <<<"$(awk '/^# OPTIONS$/{on=1; next} /^# /{on=0} on' "$cmd_scd" | grep -E '^\*')"
        ok $? "option $o is a term of OPTIONS in man/virtualing.1.scd"
done

for st in "${statuses[@]}"; do
        grep -qx -- "$st" <<<"$helper_table"
        ok $? "helper exit status $st is documented in man/virtualing-helper.8.scd"
done
extra=""
for st in $helper_table; do
        [ "$st" = 0 ] && continue
        printf '%s\n' "${statuses[@]}" | grep -qx -- "$st" || extra="$extra $st"
done
[ -z "$extra" ]
ok $? "man/virtualing-helper.8.scd documents no status missing from helper.h${extra:+:$extra}"

# A member is a term of its interface's section, in the subsection of its kind:
# "*Name*(" for methods and signals, "*Name* " for properties.
check_members() { # IFACE TERMS MEMBER...
        local iface=$1 terms=$2 entry kind name pattern
        shift 2
        for entry in "$@"; do
                kind=${entry% *}
                name=${entry#* }
                if [ "$kind" = property ]; then
                        pattern="^properties"$'\t'"\\*$name\\* "
                else
                        pattern="^${kind}s"$'\t'"\\*$name\\*\\("
                fi
                grep -qE -- "$pattern" <<<"$terms"
                ok $? "$iface $kind $name is documented in man/org.virtualing1.5.scd"
        done
}
[ ${#mgr_members[@]} -ge 1 ] && [ ${#jail_members[@]} -ge 1 ] && [ -n "$mgr_terms" ] && [ -n "$jail_terms" ]
ok $? "units/org.virtualing1.{Manager,Jail}.xml yield $((${#mgr_members[@]} + ${#jail_members[@]})) members; man/org.virtualing1.5.scd has both interface sections"
check_members org.virtualing1.Manager "$mgr_terms" "${mgr_members[@]}"
check_members org.virtualing1.Jail "$jail_terms" "${jail_members[@]}"

[ ${#hook_vars[@]} -ge 1 ] && [ -n "$hook_table" ]
ok $? "src/watcher/hook.c yields ${#hook_vars[@]} hook variables; man/virtualing-watcher.8.scd has the HOOKS table"
for var in "${hook_vars[@]}"; do
        grep -qx -- "$var" <<<"$hook_table"
        ok $? "hook variable $var is documented in man/virtualing-watcher.8.scd"
done

exit $failed
