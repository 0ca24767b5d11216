#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Ansible role of contrib/ansible on this host, where systemd may not be PID 1:
# the example playbook parses, bad variables fail with their message before anything
# is touched, and (as root) a jail file that "virtualing verify" refuses fails the play
# with the verdict and leaves the old file. The role writes into a directory of the
# test's own (__virtualing_dir, overridden as extra vars). Deploying and running jails
# is the VM's part (test/vm/guest/vmtest.sh, scenario_ansible).
set -u
ctl=${1:?usage: test-role.sh VIRTUALING SOURCE_ROOT}
src=${2:?usage: test-role.sh VIRTUALING SOURCE_ROOT}
# the role runs "virtualing" from PATH: the built one, by its absolute path
ctl=$(realpath -e "$ctl") || exit 1

if ! command -v ansible-playbook >/dev/null; then
        echo "1..0 # SKIP ansible-playbook is not installed (apt-get install ansible-core)"
        exit 0
fi

work=$(mktemp -d /tmp/virtualing-ansible.XXXXXX)
trap 'rm -rf "$work"' EXIT
umask 022
mkdir -p "$work/etc/web.conf.d" "$work/tmp"
: >"$work/ansible.cfg"
export ANSIBLE_CONFIG=$work/ansible.cfg ANSIBLE_ROLES_PATH=$src/contrib/ansible/roles
export ANSIBLE_LOCAL_TEMP=$work/tmp ANSIBLE_REMOTE_TEMP=$work/tmp ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
export LC_ALL=C.UTF-8 PATH="$(dirname "$ctl"):$PATH"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
        n=$((n + 1))
        failed=$((failed + 1))
        echo "not ok $n - $1"
        tail -n 30 "$work/out" | sed 's/^/# /'
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

cat >"$work/play.yml" <<'YML'
- name: The role alone
  hosts: all
  gather_facts: false
  roles:
    - virtualing
YML
# play VARS-YAML [ansible-playbook options]: the role on localhost, its output in $work/out
play() {
        printf '%s\n' "$1" >"$work/vars.yml"
        shift
        ansible-playbook -i localhost, -c local -e ansible_python_interpreter=/usr/bin/python3 \
                -e virtualing_install_package=false -e "__virtualing_dir=$work/etc" \
                -e "__virtualing_search_path=$work/etc" -e "@$work/vars.yml" "$@" "$work/play.yml" >"$work/out" 2>&1
}
# fails DESC VARS-YAML TEXT: the play fails, and says TEXT
fails() {
        if ! play "$2" && grep -qF -- "$3" "$work/out"; then ok "$1"; else notok "$1"; fi
}

if ansible-playbook --syntax-check -i localhost, "$src/contrib/ansible/playbook.yml" >"$work/out" 2>&1; then
        ok "contrib/ansible/playbook.yml passes ansible-playbook --syntax-check"
else
        notok "contrib/ansible/playbook.yml passes ansible-playbook --syntax-check"
fi

fails "a jail name that virtualing would refuse fails the play" \
        'virtualing_jails: [{name: .web, config: "[Jail]\n"}]' \
        "virtualing_jails[0] (.web): '.web' is not a valid jail name: 1 to 64 characters of A-Z a-z 0-9 _ . -, not starting with . or -"
fails "a name of 65 characters fails" \
        "virtualing_jails: [{name: $(printf 'a%.0s' {1..65}), config: x}]" "is not a valid jail name"
fails "an unknown state, a string for enabled and a misspelt key fail, each named" \
        'virtualing_jails: [{name: web, config: x, state: running, enabled: "yes", enable: true}]' \
        "virtualing_jails[0] (web): unknown key(s) enable (known: name, config, state, enabled); state must be started, stopped or absent, not 'running'; enabled must be true or false, not 'yes'"
fails "a jail to run without its config fails" \
        'virtualing_jails: [{name: web}]' \
        "virtualing_jails[0] (web): config (the text of the jail file) is required unless state is absent"
fails "a jail named twice fails" \
        'virtualing_jails: [{name: web, config: x}, {name: web, state: absent}]' \
        "virtualing_jails names these jails more than once: web"
fails "virtualing_jails that is not a list fails" \
        'virtualing_jails: {name: web, config: x}' "virtualing_jails must be a list of jails"

if [ "$(id -u)" != 0 ]; then
        skip "a refused jail file fails the play (needs root: the role stages it in /run)"
        skip "a drop-in beside the jail takes part in the check"
        skip "the old jail file is left, and the staging directory removed"
else
        old=$'[Jail]\nRoot=/srv/jails/web\nExec=/bin/sleep infinity\n'
        printf '%s' "$old" >"$work/etc/web.conf"
        ls -d /run/virtualing-ansible.* >"$work/stages.before" 2>/dev/null
        fails "a refused jail file fails the play, with virtualing verify's verdict at the file's own path" \
                'virtualing_jails:
  - {name: good, config: "[Jail]\nRoot=/srv/jails/good\nExec=/bin/sleep infinity\n"}
  - {name: web, config: "[Jail]\nRoot=/srv/jails/web\nExec=/bin/sleep infinity\n[Resources]\nCPUQuota=30\n"}' \
                "\"virtualing verify refused the jail file of web: nothing was written and no jail was touched\", \"$work/etc/web.conf:5: [Resources] CPUQuota=30: expected a percentage above 0, such as 30% or 150%\""
        printf '[Events]\nOnUsage=/usr/bin/logger usage\n' >"$work/etc/web.conf.d/50-usage.conf"
        fails "a drop-in beside the jail takes part in the check" \
                'virtualing_jails: [{name: web, config: "[Jail]\nRoot=/srv/jails/web\nExec=/bin/sleep infinity\n"}]' \
                "$work/etc/web.conf.d/50-usage.conf:2: [Events] OnUsage= is set but no UsageThreshold= is"
        ls -d /run/virtualing-ansible.* >"$work/stages.after" 2>/dev/null
        if [ "$(cat "$work/etc/web.conf")" = "${old%$'\n'}" ] && [ ! -e "$work/etc/good.conf" ] &&
                [ ! -e "$work/etc/web.conf.d/zz-ansible-enabled.conf" ] && cmp -s "$work/stages.before" "$work/stages.after"; then
                ok "the old jail file is left, nothing else is written, and the staging directory is removed"
        else
                notok "the old jail file is left, nothing else is written, and the staging directory is removed"
                ls -lR "$work/etc" | sed 's/^/# /'
        fi
fi

echo "1..$n"
[ $failed = 0 ]
