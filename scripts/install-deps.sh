#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages named on the command line without letting their
# post-install scripts start system daemons (postfix would take port 25,
# Kannel 13000/13001). An existing policy-rc.d is left alone.
set -eu
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
made_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	made_policy=1
fi
echo 'postfix postfix/main_mailer_type select No configuration' | $SUDO debconf-set-selections
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "$@"
[ -z "$made_policy" ] || $SUDO rm -f /usr/sbin/policy-rc.d
