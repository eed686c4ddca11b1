/* test_cfg.c - the configuration: the shipped one loads, and every kind of
 * mistake is reported with file:line, all of them, without a crash. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../collector/catalogue.c"
#include "../../collector/cfg.c"
#include "../../collector/profile.c"
#include "../../collector/regval.c"
#include "../../collector/xmalloc.c"
#include "tap.h"

static char dir[] = "/tmp/vento-test-cfg.XXXXXX";
static char errors[16384];

static void
write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* Loads dir/name with stderr captured into errors[]. */
static struct config *
load(const char *name)
{
	char path[512];
	struct config *c;
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	c = cfg_load(path);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(errors, 1, sizeof(errors) - 1, tmp);
	errors[n] = '\0';
	fclose(tmp);
	return c;
}

static int
has(const char *text)
{
	int found = strstr(errors, text) != NULL;

	if (!found)
		printf("# expected \"%s\" in:\n# %s\n", text, errors);
	return found;
}

static const char good_profile[] =
	"name = \"p\";\naddress_base = 1;\nsignals = (\n"
	"  { name = \"wtur_w\"; fc = 4; address = 1; type = \"f32\"; order = \"CDAB\"; },\n"
	"  { name = \"wtur_turst\"; fc = 3; address = 1; type = \"u16\"; }\n);\n";

static const char bad_profile[] =
	"name = \"bad\";\n"		       /* 1 */
	"address_base = 1;\n"		       /* 2 */
	"colour = \"red\";\n"		       /* 3: unknown key */
	"signals = (\n"			       /* 4 */
	"  { name = \"a\"; fc = 4; address = 1; type = \"f32\"; },\n" /* 5 */
	"  { name = \"b\"; fc = 4; address = 2; type = \"u16\"; },\n" /* 6: overlaps a */
	"  { name = \"c\"; fc = 4; address = 10; type = \"float\"; },\n" /* 7: type */
	"  { name = \"a\"; fc = 4; address = 20; type = \"u16\"; },\n" /* 8: dup */
	"  { name = \"d\"; fc = 4; address = 0; type = \"u16\"; },\n" /* 9: base 1 */
	"  { name = \"e\"; fc = 7; address = 30; },\n"  /* 10: fc */
	"  { name = \"f\"; fc = 4; address = 65536; type = \"u32\"; },\n" /* 11 */
	"  { name = \"g\"; fc = 4; address = 40; size = 2; }\n" /* 12: key */
	");\n";

static const char *
conf(const char *profile, const char *extra)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf),
		 "database = { conninfo = \"dbname=x\"; };\n"
		 "profile_dir = \".\";\n"
		 "%s"
		 "devices = ( { profile = \"%s\"; host = \"127.0.0.1\";\n"
		 "  list = ( (\"T01\", \"127.0.0.1\", 1502), (\"T02\", \"::1\", 1503, 7) ); } );\n",
		 extra, profile);
	return buf;
}

int
main(void)
{
	struct config *c;

	if (mkdtemp(dir) == NULL)
		return 1;
	write_file("p.conf", good_profile);
	write_file("bad.conf", bad_profile);

	c = load("../../../../etc/vento.conf");
	if (c == NULL) {
		/* Run from the repository root, as make check does. */
		char path[] = "etc/vento.conf";
		c = cfg_load(path);
	}
	ok(c != NULL, "the shipped etc/vento.conf loads");
	ok(c && c->ndevices == 41, "it has 40 turbines and a grid meter");
	ok(c && c->ncolumns == 17, "its profiles have 17 signal columns");
	ok(c && c->projection.annual_gwh == 720.0, "projection 720 GWh");
	ok(c && c->site_air_density == 1.125, "the site's air density");
	ok(c && c->devices[0].profile->curve_air_density == 1.225,
	   "the profile's reference curve density");
	cfg_free(c);

	write_file("bad-site.conf",
		   conf("p", "site = {\n air_density = 1.8;\n elevation = 3;\n};\n"));
	c = load("bad-site.conf");
	ok(c == NULL, "a bad site fails the load");
	ok(has("bad-site.conf:4: air_density 1.8 out of range 0.9..1.4"),
	   "site air density range, with its line");
	ok(has("bad-site.conf:5: unknown key 'elevation'"), "unknown site key");

	write_file("good.conf", conf("p", ""));
	c = load("good.conf");
	ok(c != NULL, "a small configuration loads");
	if (c) {
		const struct device *t2 = cfg_find_device(c, "T02");
		const struct signal *w = profile_find_signal(c->devices[0].profile, "wtur_w");

		ok(t2 && t2->port == 1503 && t2->unit == 7 && strcmp(t2->host, "::1") == 0,
		   "list entries override the group: host, port, unit");
		ok(c->devices[0].unit == 1, "unit id defaults to 1");
		ok(w && w->address == 0, "a 1-based address 1 is wire address 0");
		ok(w && w->order == RV_CDAB, "word order per signal");
		ok(c->devices[0].profile == c->devices[1].profile,
		   "devices share one loaded profile");
		ok(c->devices[0].profile->curve_air_density == 1.225,
		   "a curve's density is 1.225 kg/m3 unless the profile says");
		ok(c->site_air_density == 0, "no site density unless said");
		ok(strcmp(c->farm.code, "FARM") == 0 && c->farm.line == 0 &&
			   !c->farm.publish_raw,
		   "no farm section: code FARM, raw samples not published");
	}
	cfg_free(c);

	write_file("farm.conf", conf("p", "farm = {\n code = \"TNQ\";\n name = \"Tanque Novo\";\n"
					  " publish_raw = true;\n};\n"));
	c = load("farm.conf");
	ok(c && strcmp(c->farm.code, "TNQ") == 0 &&
		   strcmp(c->farm.name, "Tanque Novo") == 0 && c->farm.publish_raw,
	   "a farm's code, name and publish_raw");
	cfg_free(c);
	write_file("bad-farm.conf",
		   conf("p", "farm = {\n code = \"tnq-1\";\n publish_raw = 1;\n region = 2;\n};\n"));
	c = load("bad-farm.conf");
	ok(c == NULL, "a bad farm section fails the load");
	ok(has("bad-farm.conf:4: farm code 'tnq-1': expected 2 to 8 upper-case letters or "
	       "digits, starting with a letter"),
	   "a bad farm code, with its line");
	ok(has("bad-farm.conf:5: publish_raw: expected true or false"), "publish_raw a boolean");
	ok(has("bad-farm.conf:6: unknown key 'region'"), "unknown farm key");
	write_file("farm-nocode.conf", conf("p", "farm = {\n name = \"x\";\n};\n"));
	c = load("farm-nocode.conf");
	ok(c == NULL && has("farm-nocode.conf:3: farm without a code"), "a farm needs its code");

	write_file("dense.conf", "name = \"dense\";\ncurve_air_density = 2;\n"
				 "signals = ( { name = \"wtur_w\"; fc = 4; address = 0; "
				 "type = \"f32\"; } );\n");
	write_file("dense-profile.conf", conf("dense", ""));
	c = load("dense-profile.conf");
	ok(c == NULL && has("dense.conf:2: curve_air_density 2 out of range 0.9..1.4"),
	   "a curve density out of range, with its line");
	cfg_free(c);

	write_file("bad-profile.conf", conf("bad", ""));
	c = load("bad-profile.conf");
	ok(c == NULL, "a bad profile fails the load");
	ok(has("bad.conf:3: unknown key 'colour'"), "unknown profile key, with its line");
	ok(has("bad.conf:6: signal 'b' overlaps 'a' (line 5)"), "overlap named");
	ok(has("bad.conf:7: unknown type 'float'"), "unknown type named");
	ok(has("bad.conf:8: duplicate signal 'a' (first at line 5)"), "duplicate named");
	ok(has("bad.conf:9: address 0 out of range 1..65536 for a 1-based profile"),
	   "address below a 1-based profile");
	ok(has("bad.conf:10: fc 7 out of range 1..4"), "function code range");
	ok(has("bad.conf:11: signal 'f' runs past address 65535"),
	   "a u32 at the last register runs past the end");
	ok(has("bad.conf:12: unknown key 'size'"), "unknown signal key");
	ok(has("bad-profile.conf:3: profile 'bad' is not usable"),
	   "the configuration line that uses the profile");

	write_file("bad-poll.conf",
		   conf("p", "poll = {\n interval = 0;\n timeout = \"fast\";\n"
			     " max_gap = 200;\n};\nstate_dir = 5;\nfoo = 1;\n"));
	c = load("bad-poll.conf");
	ok(c == NULL, "bad poll settings fail the load");
	ok(has("bad-poll.conf:4: interval 0 out of range 0.1..3600"), "interval range");
	ok(has("bad-poll.conf:5: timeout: expected a number"), "timeout type");
	ok(has("bad-poll.conf:6: max_gap 200 out of range 0..124"), "max_gap range");
	ok(has("bad-poll.conf:8: state_dir: expected a string"), "state_dir type");
	ok(has("bad-poll.conf:9: unknown key 'foo'"), "unknown top-level key");

	/* A list where a group belongs: its elements have no names (found
	 * by fuzzing: it crashed the key check). */
	write_file("list-poll.conf",
		   conf("p", "poll = ( { interval = 1.0; } );\n"
			     "site = [ 1, 2 ];\n"));
	c = load("list-poll.conf");
	ok(c == NULL && has("list-poll.conf:3: poll must be a group { ... }") &&
	       has("list-poll.conf:4: site must be a group { ... }"),
	   "poll and site as a list and an array: errors, no crash");

	write_file("dup.conf",
		   "profile_dir = \".\";\ndevices = ( { profile = \"p\";\n"
		   "  list = ( (\"T01\", \"h\", 1), (\"T01\", \"h\", 2), (\"T03\", \"h\", 70000), 5 ); },\n"
		   "  { profile = \"missing\"; name = \"M\"; host = \"h\"; port = 1; } );\n"
		   "projection = { monthly_share = [1, 2, 3]; };\n");
	c = load("dup.conf");
	ok(c == NULL, "bad devices fail the load");
	ok(has("dup.conf:3: duplicate device 'T01' (first at line 3)"), "duplicate device");
	ok(has("dup.conf:3: device 'T03': port out of range 1..65535"), "port range");
	ok(has("dup.conf:3: expected (\"name\", \"host\", port, unit), (\"name\", unit) or \"name\""),
	   "a list entry of the wrong shape");
	ok(has("missing.conf:0: cannot read profile"), "a missing profile file");
	ok(has("dup.conf:5: monthly_share must be an array of 12 numbers"),
	   "monthly shares");

	write_file("syntax.conf", "poll = {\n interval = 1.0;\n timeout = = 2;\n};\n");
	c = load("syntax.conf");
	ok(c == NULL && has("syntax.conf:3: syntax error"), "a syntax error names its line");

	c = load("does-not-exist.conf");
	ok(c == NULL && has("does-not-exist.conf:0: cannot read"), "a missing file");

	/* States as data: codes, names and categories; mistakes by line. */
	write_file("st.conf",
		   "name = \"st\";\naddress_base = 0;\n"
		   "signals = ( { name = \"wtur_turst\"; fc = 3; address = 0; type = \"u16\"; } );\n"
		   "states = (\n"
		   "  { code = 2; name = \"producing\"; category = \"full performance\"; },\n"
		   "  { code = 4; name = \"fault\"; category = \"forced outage\"; }\n);\n");
	write_file("st-use.conf", conf("st", ""));
	c = load("st-use.conf");
	ok(c != NULL, "a profile with states loads");
	if (c) {
		const struct profile *p = c->devices[0].profile;

		ok(p->nstates == 2 && p->states[1].code == 4 &&
			   strcmp(p->states[1].name, "fault") == 0 &&
			   p->states[1].category == VENTO_IEC_FORCED_OUTAGE,
		   "its states: code, name and category");
		ok(profile_state_count(p) == 2, "counted without a driver");
	}
	cfg_free(c);
	write_file("badst.conf",
		   "name = \"badst\";\naddress_base = 0;\n"			/* 1, 2 */
		   "signals = ( { name = \"wtur_turst\"; fc = 3; address = 0; type = \"u16\"; } );\n" /* 3 */
		   "states = (\n"						/* 4 */
		   "  { code = 2; name = \"producing\"; category = \"running\"; },\n" /* 5 */
		   "  { code = 3; category = \"forced outage\"; },\n"		/* 6 */
		   "  { code = 4; name = \"fault\"; category = \"forced outage\"; },\n" /* 7 */
		   "  { code = 4; name = \"fault 2\"; category = \"forced outage\"; },\n" /* 8 */
		   "  { name = \"x\"; category = \"forced outage\"; colour = 1; }\n);\n"); /* 9 */
	write_file("badst-use.conf", conf("badst", ""));
	c = load("badst-use.conf");
	ok(c == NULL, "bad states fail the load");
	ok(has("badst.conf:5: state 2: unknown category 'running'"),
	   "an unknown category, with its line");
	ok(has("badst.conf:6: state 3 without a name"), "a state without a name");
	ok(has("badst.conf:8: state 4 declared twice"), "a code twice");
	ok(has("badst.conf:9: unknown key 'colour'") &&
		   has("badst.conf:9: state without a whole-number code"),
	   "an unknown key and a missing code");
	cfg_free(c);
	ok(profile_category_parse("information unavailable") ==
		   VENTO_IEC_INFORMATION_UNAVAILABLE &&
		   profile_category_parse("Forced outage") == -1 &&
		   strcmp(profile_category_name(VENTO_IEC_TECHNICAL_STANDBY),
			  "technical standby") == 0,
	   "category names both ways, exactly as the schema has them");

	/* Modicon addresses: table and register in one number. */
	write_file("mod.conf",
		   "name = \"mod\";\naddressing = \"modicon\";\n"
		   "signals = (\n"
		   "  { name = \"wtur_w\"; address = 30001; type = \"f32\"; },\n"
		   "  { name = \"wtur_turst\"; address = 40101; },\n"
		   "  { name = \"wtur_totwh\"; address = 410001; type = \"u32\"; },\n"
		   "  { name = \"wtur_var\"; address = 10003; }\n);\n");
	write_file("mod-use.conf", conf("mod", ""));
	c = load("mod-use.conf");
	ok(c != NULL, "a Modicon-addressed profile loads, with no address_base");
	if (c) {
		const struct profile *p = c->devices[0].profile;

		ok(p->signals[0].fc == FC_INPUT_REGISTERS && p->signals[0].address == 0,
		   "30001 is input register 1, wire address 0");
		ok(p->signals[1].fc == FC_HOLDING_REGISTERS && p->signals[1].address == 100,
		   "40101 is holding register 101");
		ok(p->signals[2].fc == FC_HOLDING_REGISTERS && p->signals[2].address == 10000,
		   "410001 (six digits) is holding register 10001");
		ok(p->signals[3].fc == FC_DISCRETE_INPUTS && p->signals[3].type == RV_BIT &&
			   p->signals[3].address == 2,
		   "10003 is discrete input 3, a bit");
	}
	cfg_free(c);
	write_file("badmod.conf",
		   "name = \"badmod\";\naddressing = \"modicon\";\n"	/* 1, 2 */
		   "signals = (\n"						/* 3 */
		   "  { name = \"a\"; address = 20001; },\n"		/* 4 */
		   "  { name = \"b\"; fc = 3; address = 40001; },\n"	/* 5 */
		   "  { name = \"c\"; address = 40000; }\n);\n");	/* 6 */
	write_file("badmod-use.conf", conf("badmod", ""));
	c = load("badmod-use.conf");
	ok(c == NULL, "bad Modicon addresses fail the load");
	ok(has("badmod.conf:4: signal 'a': 20001 is not a Modicon address"),
	   "no table 2");
	ok(has("badmod.conf:5: signal 'b': a Modicon address implies the function code"),
	   "no fc beside a Modicon address");
	ok(has("badmod.conf:6: signal 'c': 40000 is not a Modicon address"),
	   "register 0 does not exist");
	cfg_free(c);
	write_file("looksmod.conf",
		   "name = \"looksmod\";\naddress_base = 1;\n"
		   "signals = ( { name = \"wtur_w\"; fc = 3; address = 40001; type = \"f32\"; } );\n");
	write_file("looksmod-use.conf", conf("looksmod", ""));
	c = load("looksmod-use.conf");
	ok(c != NULL && c->devices[0].profile->signals[0].address == 40000,
	   "a Modicon-like register address is read as written");
	ok(has("looksmod.conf:3: warning: signal 'wtur_w': address 40001 reads holding register 40001, not 1") &&
		   has("addressing = \"modicon\""),
	   "and explained, with the way to say otherwise");
	cfg_free(c);

	/* One unit on one connection is one device. */
	write_file("twice.conf",
		   "database = { conninfo = \"dbname=x\"; };\nprofile_dir = \".\";\n"
		   "devices = ( { profile = \"p\"; list = (\n"
		   "  (\"T01\", \"10.0.0.5\", 502, 3),\n"
		   "  (\"T02\", \"10.0.0.5\", 502, 4),\n"
		   "  (\"T03\", \"10.0.0.5\", 502, 3) ); } );\n");
	c = load("twice.conf");
	ok(c == NULL && has("twice.conf:6: device 'T03': unit 3 on 10.0.0.5 port 502 is device 'T01' already"),
	   "the same unit at the same host and port twice is refused");

	/* Links: units behind a gateway share one; a serial line is one. */
	write_file("links.conf",
		   "database = { conninfo = \"dbname=x\"; };\nprofile_dir = \".\";\n"
		   "devices = (\n"
		   "  { profile = \"p\"; host = \"10.0.0.9\"; port = 502;\n"
		   "    list = ( (\"T01\", 1), (\"T02\", 2), (\"T03\", 3) ); },\n"
		   "  { profile = \"p\"; list = ( (\"T04\", \"10.0.0.4\", 502, 1) ); },\n"
		   "  { profile = \"p\"; kind = \"meter\";\n"
		   "    serial = { device = \"/dev/ttyS1\"; baud = 9600; parity = \"none\"; };\n"
		   "    list = ( (\"M1\", 10), (\"M2\", 11) ); },\n"
		   "  { profile = \"p\"; name = \"T05\"; host = \"10.0.0.9\"; port = 502; unit = 5; }\n"
		   ");\n");
	c = load("links.conf");
	ok(c != NULL, "a gateway, a device of its own and a serial line load");
	if (c) {
		const struct device *m2 = cfg_find_device(c, "M2");

		ok(c->nlinks == 3, "three links: the gateway, T04's and the line");
		ok(c->devices[0].link == c->devices[2].link &&
			   c->devices[0].link == cfg_find_device(c, "T05")->link &&
			   c->devices[2].unit == 3,
		   "units at one host and port share its link");
		ok(cfg_find_device(c, "T04")->link != c->devices[0].link,
		   "another host is another link");
		ok(m2 && cfg_device_is_serial(m2) && m2->unit == 11 &&
			   m2->serial.baud == 9600 && m2->serial.parity == 'N' &&
			   m2->serial.data_bits == 8 && m2->serial.stop_bits == 1 &&
			   m2->link == cfg_find_device(c, "M1")->link,
		   "a serial line: its settings, defaults and units");
	}
	cfg_free(c);
	write_file("badlinks.conf",
		   "database = { conninfo = \"dbname=x\"; };\nprofile_dir = \".\";\n" /* 1, 2 */
		   "devices = (\n"							/* 3 */
		   "  { profile = \"p\"; serial = { device = \"ttyS1\"; parity = \"mark\"; bits = 8; };\n" /* 4 */
		   "    list = ( (\"M1\", 1), (\"M2\", \"h\", 5, 2) ); },\n"	/* 5 */
		   "  { profile = \"p\"; serial = { device = \"/dev/ttyS2\"; };\n" /* 6 */
		   "    list = ( (\"M3\", 1) ); },\n"				/* 7 */
		   "  { profile = \"p\"; serial = { device = \"/dev/ttyS2\"; baud = 9600; };\n" /* 8 */
		   "    list = ( (\"M4\", 2), (\"M5\", 300) ); }\n);\n");		/* 9 */
	c = load("badlinks.conf");
	ok(c == NULL, "bad links fail the load");
	ok(has("badlinks.conf:4: unknown key 'bits'") &&
		   has("badlinks.conf:4: serial: device must be the path of a tty") &&
		   has("badlinks.conf:4: parity 'mark' is none, even or odd"),
	   "a serial line's mistakes, by line");
	ok(has("badlinks.conf:5: device 'M2': on a serial line, an entry is (\"name\", unit)"),
	   "a host and port on a serial line");
	ok(has("badlinks.conf:9: device 'M4': serial line /dev/ttyS2 has other settings for device 'M3' (line 7)"),
	   "one line, two settings");
	ok(has("badlinks.conf:9: device 'M5': unit id out of range 0..255"), "a unit out of range");
	cfg_free(c);

	write_file("nodev.conf", "devices = ( );\n");
	c = load("nodev.conf");
	ok(c == NULL && has("nodev.conf:1: no devices"), "no devices is an error");

	/* What the database could not store is refused here: a signal with
	 * no column, a device name that is not UTF-8, an empty state_dir. */
	write_file("rpm.conf",
		   "name = \"rpm\";\nsignals = (\n"
		   "  { name = \"wtur_w\"; fc = 4; address = 0; type = \"f32\"; },\n"
		   "  { name = \"wrot_rotspeed\"; fc = 4; address = 2; type = \"f32\"; }\n);\n");
	write_file("unknown-signal.conf", conf("rpm", ""));
	c = load("unknown-signal.conf");
	ok(c == NULL && has("rpm.conf:4: signal 'wrot_rotspeed' is not one this version "
			    "stores (did you mean 'wrot_rotspd'?)"),
	   "an unknown signal name: refused at its line, the closest known named");
	write_file("latin1.conf",
		   "database = { conninfo = \"dbname=x\"; };\nprofile_dir = \".\";\n"
		   "devices = ( { profile = \"p\"; list = (\n"
		   "  (\"T01\", \"10.0.0.5\", 502, 1),\n"
		   "  (\"T\xe9" "02\", \"10.0.0.6\", 502, 1),\n"
		   "  (\"T\xc3\xa9" "03\", \"10.0.0.7\", 502, 1) ); } );\n");
	c = load("latin1.conf");
	ok(c == NULL && has("latin1.conf:5: device name 'T\\xe902' is not valid UTF-8"),
	   "a device name that is not UTF-8: refused, its bytes shown");
	ok(strstr(errors, "latin1.conf:6:") == NULL, "a UTF-8 device name (T\xc3\xa9" "03) is accepted");
	ok(!cfg_is_text("\xc0\xaf") && !cfg_is_text("\xed\xa0\x80") &&
	   !cfg_is_text("a\tb") && !cfg_is_text("\xf4\x90\x80\x80") &&
	   cfg_is_text("Parque E\xc3\xb3lico \xe2\x84\x96 7"),
	   "UTF-8: overlong, surrogate, control and beyond U+10FFFF refused");
	write_file("empty-state.conf", conf("p", "state_dir = \"\";\n"));
	c = load("empty-state.conf");
	ok(c == NULL && has("empty-state.conf:3: state_dir is empty"),
	   "an empty state_dir is refused");
	{
		int named = 1;

		for (int i = 0; i < catalogue_count(); i++)
			named &= catalogue_find(catalogue_at(i)->name) == catalogue_at(i) &&
				 strcmp(catalogue_closest(catalogue_at(i)->name),
					catalogue_at(i)->name) == 0;
		ok(named && catalogue_find("rotor_rpm") == NULL,
		   "the catalogue finds each of its %d names, and only those",
		   catalogue_count());
	}

	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return done();
}
