#!/usr/bin/env bash
# make browser-env: Debian's chromium for the browser tests, if the given path (/usr/bin/chromium) is
# missing. It says what it will do before doing it, and installs without recommended packages:
# chromium's recommends (udev, upower, printing) are what pulled in over a hundred packages and
# upgraded systemd. Outside CI (CI=true) a package already installed is never upgraded or removed:
# the install is simulated first, and if it would change any, nothing is installed and the output
# names them with the command to run by hand.
set -euo pipefail
chromium="${1:-/usr/bin/chromium}"
[ -x "$chromium" ] && exit 0

packages=(chromium fonts-liberation)  # fonts-liberation: the fonts the screenshots use
install=(apt-get install --no-install-recommends "${packages[@]}")
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo -n)
as_root="${sudo[*]}${sudo[*]:+ }"

echo "The browser tests need Debian's chromium, and $chromium is missing. Installing it now:"
echo "  ${as_root}apt-get update"
echo "  ${as_root}${install[*]}"
if [ "${CI:-}" = true ]; then
  echo "(CI=true: packages already installed are upgraded if chromium needs newer ones.)"
else
  echo "Packages already installed are not upgraded or removed: if chromium needs that, nothing is"
  echo "installed and you are shown what would change."
fi
if [ ${#sudo[@]} -gt 0 ] && ! sudo -n true 2>/dev/null; then
  echo "browser-env: sudo needs a password here; run the two commands above yourself, then make browser-env" >&2
  exit 1
fi

"${sudo[@]}" apt-get update -qq
plan="$("${sudo[@]}" apt-get install -s "${install[@]:2}")"
changed="$(sed -n -e 's/^Inst \([^ ]*\) \[\([^]]*\)\] (\([^ ]*\).*/  upgrade \1 \2 -> \3/p' \
  -e 's/^Remv \([^ ]*\).*/  remove \1/p' <<<"$plan")"
if [ -n "$changed" ] && [ "${CI:-}" != true ]; then
  {
    echo "browser-env: installing chromium would change packages already installed on this machine:"
    echo "$changed"
    echo "Nothing was installed. To install it anyway, with those changes: ${as_root}${install[*]}"
  } >&2
  exit 1
fi
echo "installing $(grep -c '^Inst ' <<<"$plan") packages"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${install[@]:2}" </dev/null
