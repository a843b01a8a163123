#!/bin/sh
# SPDX-License-Identifier: MIT
# Fills a database with demo data through the CLI and the daemon's own
# HTTP routes (never SQL): three associations, opportunities in Danish,
# English and Arabic, 50 subscribers with mixed languages, ages and
# interests; then the daemon runs once, briefly, so that the published
# opportunities become finished campaigns with deliveries, failures
# (delivery reports through /sms/dlr) and inbound SMS (/sms/inbound):
# every dashboard page has something on it.
# usage: scripts/demo-data.sh CONFIG [BINDIR]
set -eu
conf=$1
bin=${2:-build}
bb() { "$bin/budbringer" -c "$conf" "$@"; }

bb init >/dev/null
bb association add "Randers Idrætsforening" --email kontakt@rif.example.dk >/dev/null
bb association add "Spejderne Randers" --email leder@spejder.example.dk >/dev/null
bb association add "Kulturhuset" >/dev/null

langs="da da da en ar ar tr so ur pl"
interests="sport culture social scouting nature children elderly integration events"
year=$(date +%Y)
i=0
while [ $i -lt 50 ]; do
	lang=$(echo $langs | cut -d' ' -f$((i % 10 + 1)))
	born=$((year - 15 - (i * 7) % 40))
	int1=$(echo $interests | cut -d' ' -f$((i % 9 + 1)))
	int2=$(echo $interests | cut -d' ' -f$(((i * 5) % 9 + 1)))
	num=$(printf '2%07d' $((i * 7919 % 10000000)))
	set -- --phone "$num" --lang "$lang" --consent "demo: signed up at Frivilligfestival"
	[ $((i % 3)) -eq 0 ] && set -- "$@" --email "demo$i@example.dk"
	[ $((i % 5)) -ne 4 ] && set -- "$@" --born "$born"
	[ $((i % 4)) -ne 3 ] && set -- "$@" --interest "$int1" --interest "$int2"
	bb subscriber add "$@" >/dev/null
	i=$((i + 1))
done

bb opportunity add --association "Randers Idrætsforening" \
	--title "da=Trænere til ungdomsfodbold" --summary "da=Hjælp til træning af U13 to gange om ugen." \
	--title "en=Youth football coaches" --summary "en=Help coach our U13 team twice a week." \
	--title "ar=مدربون لكرة القدم للشباب" --summary "ar=ساعد في تدريب فريق تحت 13 سنة مرتين في الأسبوع." \
	--interest sport --interest children --min-age 15 --max-age 30 \
	--location "Randers Stadion" --url "https://frivillig.example.dk/o/1" \
	--starts 2026-12-05T16:00 --publish >/dev/null
bb opportunity add --association "Spejderne Randers" \
	--title "da=Hjælpere til juleløb" --summary "da=Vi mangler hjælpere til poster på juleløbet i Fussingø." \
	--title "en=Helpers for the Christmas run" --summary "en=We need helpers at the posts of the Christmas run in Fussingø." \
	--interest scouting --interest nature --interest events \
	--location "Fussingø" --url "https://frivillig.example.dk/o/2" --starts 2026-12-12T10:00 --publish >/dev/null
bb opportunity add --association "Kulturhuset" \
	--title "da=Lektiecafé for børn" --summary "da=Hjælp børn med lektier mandag eftermiddag." \
	--title "ar=مقهى الواجبات المدرسية" --summary "ar=ساعد الأطفال في واجباتهم المدرسية يوم الاثنين." \
	--interest children --interest integration --interest social \
	--location "Kulturhuset, Randers" --url "https://frivillig.example.dk/o/3" >/dev/null

# --- one short run of the daemon: the campaigns go out and come back ---
setting() { sed -n "s/^[[:space:]]*$1 = \"\([^\"]*\)\".*/\1/p" "$conf" | head -1; }
listen=$(setting listen)
dlr_secret=$(setting dlr_secret)
inbound_secret=$(setting inbound_secret)
url=http://$listen
# The seeding run ignores quiet hours (start = end is "none"), so the
# campaigns finish now, whatever the time of day.
seed=$(dirname "$conf")/seed.conf
sed -e 's|quiet_hours = {[^}]*}|quiet_hours = { start = "00:00"; end = "00:00"; }|' "$conf" > "$seed"
chmod 600 "$seed"
"$bin/budbringerd" -f -c "$seed" > "$(dirname "$conf")/seed.log" 2>&1 &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -f "$seed"; }
trap stop EXIT
count() { bb --json log --status "$1" --limit 100000 | grep -c . || true; }
tries=0
# Ready when it answers, done when no campaign message is queued or sending.
until curl -fs -o /dev/null "$url/healthz"; do
	tries=$((tries + 1)); [ $tries -lt 100 ] || { echo "demo data: the daemon did not start, see $(dirname "$conf")/seed.log" >&2; exit 1; }
	sleep 0.2
done
tries=0
while bb campaign list | grep -Eq ' (scheduled|expanding|sending) '; do
	tries=$((tries + 1)); [ $tries -lt 150 ] || { echo "demo data: the campaigns did not finish" >&2; exit 1; }
	sleep 0.2
done
# Delivery reports: most SMS delivered, every fifth refused by the "network".
n=0
for id in $(bb --json log --status sent --channel sms --limit 100000 |
		sed -n 's/.*"message": *\([0-9]*\).*/\1/p' | sort -un); do
	n=$((n + 1))
	if [ $((n % 5)) -eq 0 ]; then
		q="status=2&answer=NACK%2F0x0000000b%2FInvalid+Destination+Address"
	elif [ $((n % 7)) -eq 0 ]; then
		q="status=16&answer=Subscriber+absent"
	else
		q="status=1"
	fi
	curl -fs -o /dev/null "$url/sms/dlr?secret=$dlr_secret&id=$id&$q" || true
done
# Inbound SMS: a sign-up and its confirmation, a question, a stop, noise.
mo() { curl -fs -o /dev/null -G "$url/sms/inbound" --data-urlencode "secret=$inbound_secret" \
	--data-urlencode "from=$1" --data-urlencode "to=1919" --data-urlencode "text=$2" \
	--data-urlencode "id=demo-$3" || true; }
mo +4530000001 "FRIVILLIG SPORT 2008" 1
mo +4530000001 "JA" 2
mo +4530000002 "HJÆLP" 3
mo +4520007919 "STOP" 4
mo +4530000003 "hvad er det her?" 5
mo +4530000004 "JOIN CULTURE" 6
sleep 1
stop
trap - EXIT
echo "demo data: 3 associations, 3 opportunities (2 published, 1 draft), 50 subscribers,"
echo "           $(count delivered) delivered, $(count failed) failed, 6 inbound SMS"
