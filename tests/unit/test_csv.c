/* test_csv.c - the import format's reader: quoting, the header (a
 * byte-order mark, case, required and unknown columns), times with their
 * offsets, numbers that are no measurements, and states as codes or
 * names. */
#include <string.h>

#include "../../collector/csv.c"
#include "tap.h"

static int
header(struct csv_header *h, const char *text, int skip, char *why)
{
	char line[512];

	snprintf(line, sizeof(line), "%s", text);
	return csv_header_parse(h, line, skip, why, 256);
}

static int
row(const struct csv_header *h, const char *text, struct csv_row *r, char *why)
{
	static char line[512];

	snprintf(line, sizeof(line), "%s", text);
	return csv_row_parse(h, line, r, why, 256);
}

int
main(void)
{
	struct csv_header h;
	struct csv_row r;
	char why[256], line[128], *f[8];
	int64_t t;

	/* Splitting. */
	snprintf(line, sizeof(line), "a,\"b, c\",\"say \"\"x\"\"\",,d\r\n");
	ok(csv_split(line, f, 8) == 5, "five fields");
	ok(strcmp(f[1], "b, c") == 0, "a quoted comma stays: '%s'", f[1]);
	ok(strcmp(f[2], "say \"x\"") == 0, "doubled quotes are one: '%s'",
	   f[2]);
	ok(f[3][0] == '\0' && strcmp(f[4], "d") == 0,
	   "an empty field, and the line ending dropped");
	snprintf(line, sizeof(line), "a,\"b");
	ok(csv_split(line, f, 8) == -1, "an open quote is an error");
	snprintf(line, sizeof(line), "1,2,3,4,5,6,7,8,9,10");
	ok(csv_split(line, f, 8) == 10, "fields beyond max are counted");

	/* The header. */
	ok(header(&h, "\xef\xbb\xbftime,asset_id,WTUR_SupWh", 0, why) == 0,
	   "a byte-order mark is skipped");
	ok(h.map[0] == CSV_TIME && h.map[2] == CSV_SUPWH, "and the names map");
	ok(header(&h, " Time ,ASSET_ID,wtur_supwh\n", 0, why) == 0,
	   "any case, blanks around");
	ok(header(&h, "time,asset_id,WTUR_W", 0, why) == -1 &&
	       strstr(why, "column wtur_supwh is missing"),
	   "a missing energy column is an error: %s", why);
	ok(header(&h, "asset_id,WTUR_SupWh", 0, why) == -1 &&
	       strstr(why, "column time is missing"),
	   "a missing time column is an error: %s", why);
	ok(header(&h, "time,asset_id,WTUR_SupWh,rotor", 0, why) == -1 &&
	       strstr(why, "unknown column 'rotor' (--skip-unknown"),
	   "an unknown column is an error: %s", why);
	ok(header(&h, "time,asset_id,WTUR_SupWh,rotor", 1, why) == 0 &&
	       h.map[3] == -1,
	   "unless skipped");
	ok(header(&h, "time,asset_id,WTUR_SupWh,wtur_supwh", 0, why) == -1 &&
	       strstr(why, "appears twice"),
	   "a column twice is an error: %s", why);

	/* Times. */
	ok(csv_parse_time("2025-03-01T00:00:00-03:00", &t) == 0 &&
	       t == 1740798000,
	   "an offset west of UTC: %lld", (long long)t);
	ok(csv_parse_time("2025-03-01T03:00:00Z", &t) == 0 && t == 1740798000,
	   "Z");
	ok(csv_parse_time("2025-03-01 05:30:00+02:30", &t) == 0 &&
	       t == 1740798000,
	   "a blank for T, an offset with minutes");
	ok(csv_parse_time("2024-02-29T00:00:00Z", &t) == 0,
	   "29 February of a leap year");
	ok(csv_parse_time("2025-02-29T00:00:00Z", &t) == -1,
	   "but not of another");
	ok(csv_parse_time("2025-04-31T00:00:00Z", &t) == -1, "31 April");
	ok(csv_parse_time("2025-03-01T00:05:00Z", &t) == -1,
	   "off the 10-minute boundary");
	ok(csv_parse_time("2025-03-01T00:00:00", &t) == -1,
	   "without an offset");
	ok(csv_parse_time("2025-03-01T00:00:00+0300", &t) == -1,
	   "an offset without its colon");
	ok(csv_parse_time("2025-03-01T00:00:00Zx", &t) == -1,
	   "text after the time");

	/* Rows. */
	header(&h, "time,asset_id,WTUR_W,WTUR_TurSt,WMET_EnvTmp,WTUR_SupWh", 0,
	       why);
	ok(row(&h, "2025-03-01T00:00:00Z,T01,1800.5,2,-3.5,300", &r, why) ==
		   0 &&
	       r.value[CSV_W] == 1800.5 && r.state_is_code &&
	       r.state_code == 2 && r.value[CSV_TMP] == -3.5 &&
	       r.value[CSV_SUPWH] == 300 && strcmp(r.asset, "T01") == 0,
	   "a full row");
	ok(row(&h, "2025-03-01T00:00:00Z,T01,,,,", &r, why) == 0 &&
	       r.present == (1u << CSV_TIME | 1u << CSV_ASSET),
	   "empty values are absent, not zero");
	ok(row(&h, "2025-03-01T00:00:00Z,T01,NaN,2,1,1", &r, why) == -1 &&
	       strstr(why, "column wtur_w: 'NaN' is not a finite number"),
	   "NaN is refused: %s", why);
	ok(row(&h, "2025-03-01T00:00:00Z,T01,1,2,1,-Infinity", &r, why) == -1 &&
	       strstr(why, "wtur_supwh: '-Infinity' is not a finite"),
	   "infinity is refused: %s", why);
	ok(row(&h, "2025-03-01T00:00:00Z,T01,1e999,2,1,1", &r, why) == -1 &&
	       strstr(why, "not a finite number"),
	   "a number beyond double's range is refused: %s", why);
	ok(row(&h, "2025-03-01T00:00:00Z,T01,lots,2,1,1", &r, why) == -1 &&
	       strstr(why, "column wtur_w: 'lots' is not a number"),
	   "text is refused: %s", why);
	ok(row(&h, "2025-03-01T00:00:00Z,T01,1,2.5,1,1", &r, why) == -1 &&
	       strstr(why, "'2.5' is not a whole state code"),
	   "a fractional state is refused: %s", why);
	ok(row(&h, "2025-03-01T00:00:00Z,T01,1,nan,1,1", &r, why) == -1,
	   "a NaN state is refused: %s", why);
	ok(row(&h, "2025-03-01T00:00:00Z,T01,1,\"standby, low wind\",1,1", &r,
	       why) == 0 &&
	       !r.state_is_code &&
	       strcmp(r.state_name, "standby, low wind") == 0,
	   "a state's name, quoted for its comma");
	ok(row(&h, "2025-03-01T00:00:00Z,T01,1,run,1,1", &r, why) == 0 &&
	       strcmp(r.state_name, "run") == 0,
	   "a short name");
	ok(row(&h, "2025-03-01T00:00:00Z,T01,1,7x,1,1", &r, why) == -1,
	   "a mistyped code is no name: %s", why);
	ok(row(&h, "2025-03-01T00:00:00Z,T01,1,2,1", &r, why) == -1 &&
	       strstr(why, "5 fields, the header has 6"),
	   "a short line: %s", why);
	ok(row(&h, "2025-03-01T00:00:00Z,,1,2,1,1", &r, why) == -1 &&
	       strstr(why, "asset_id is empty"),
	   "an empty device: %s", why);
	return done();
}
