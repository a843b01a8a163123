#!/bin/sh
# SPDX-License-Identifier: MIT
# Fills a database with demo data through the CLI (never SQL): three
# associations, opportunities in Danish, English and Arabic, and 50
# subscribers with mixed languages, ages and interests.
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
echo "demo data: 3 associations, 3 opportunities (2 published, 1 draft), 50 subscribers"
