-- Towns become a registry (issue 10): an elder's or a token's town must be a registered
-- town; aliases (simplified characters, short forms) map to the registered name.

-- The form names and aliases are compared in: NFKC, every kind of white space and the
-- invisible joiners removed. Kept in step with care.towns.town_key by
-- tests/care/test_towns.py.
CREATE FUNCTION tanfang_town_key(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(
    normalize(value, NFKC),
    '[\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u180e\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]',
    '', 'g');

CREATE TABLE towns (
    name        text PRIMARY KEY CHECK (name <> '' AND name = tanfang_town_key(name)),
    duty_name   text,
    duty_phone  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every form a town is known by, its registered name included: one namespace, so a name
-- or alias can never mean two towns.
CREATE TABLE town_keys (
    key   text PRIMARY KEY CHECK (key <> '' AND key = tanfang_town_key(key)),
    town  text NOT NULL REFERENCES towns (name) ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX town_keys_town ON town_keys (town);

-- Kaiping's street offices (街道) and towns (鎮), named as the simulators and the towns'
-- own files write them, with their simplified forms and the short forms people use.
INSERT INTO towns (name) VALUES
    ('長沙街道'), ('三埠街道'), ('月山鎮'), ('水口鎮'), ('沙塘鎮'), ('蒼城鎮'),
    ('龍勝鎮'), ('大沙鎮'), ('馬岡鎮'), ('塘口鎮'), ('赤坎鎮'), ('百合鎮'),
    ('蚬岡鎮'), ('金雞鎮'), ('赤水鎮'), ('翠山湖');

INSERT INTO town_keys (key, town) SELECT name, name FROM towns;

INSERT INTO town_keys (key, town) VALUES
    ('长沙街道', '長沙街道'), ('長沙', '長沙街道'), ('长沙', '長沙街道'),
    ('三埠', '三埠街道'),
    ('月山镇', '月山鎮'), ('月山', '月山鎮'),
    ('水口镇', '水口鎮'), ('水口', '水口鎮'),
    ('沙塘镇', '沙塘鎮'), ('沙塘', '沙塘鎮'),
    ('苍城镇', '蒼城鎮'), ('蒼城', '蒼城鎮'), ('苍城', '蒼城鎮'),
    ('龙胜镇', '龍勝鎮'), ('龍勝', '龍勝鎮'), ('龙胜', '龍勝鎮'),
    ('大沙镇', '大沙鎮'), ('大沙', '大沙鎮'),
    ('马冈镇', '馬岡鎮'), ('马岗镇', '馬岡鎮'), ('馬崗鎮', '馬岡鎮'),
    ('馬岡', '馬岡鎮'), ('马冈', '馬岡鎮'), ('马岗', '馬岡鎮'),
    ('塘口镇', '塘口鎮'), ('塘口', '塘口鎮'),
    ('赤坎镇', '赤坎鎮'), ('赤坎', '赤坎鎮'),
    ('百合镇', '百合鎮'), ('百合', '百合鎮'),
    ('蜆岡鎮', '蚬岡鎮'), ('蚬冈镇', '蚬岡鎮'), ('蚬岗镇', '蚬岡鎮'), ('蜆崗鎮', '蚬岡鎮'),
    ('蚬岡', '蚬岡鎮'), ('蜆岡', '蚬岡鎮'), ('蚬冈', '蚬岡鎮'), ('蚬岗', '蚬岡鎮'),
    ('金鸡镇', '金雞鎮'), ('金雞', '金雞鎮'), ('金鸡', '金雞鎮'),
    ('赤水镇', '赤水鎮'), ('赤水', '赤水鎮'),
    ('翠山湖新區', '翠山湖'), ('翠山湖新区', '翠山湖');

-- Existing values through the same normalisation and aliases. What cannot be mapped keeps
-- its value (never hidden) and is listed by GET /towns/unmapped until someone assigns it.
UPDATE elders AS e SET town = k.town
    FROM town_keys AS k
    WHERE k.key = tanfang_town_key(e.town) AND e.town IS DISTINCT FROM k.town;
UPDATE api_tokens AS t SET town = k.town
    FROM town_keys AS k
    WHERE k.key = tanfang_town_key(t.town) AND t.town IS DISTINCT FROM k.town;
UPDATE watch_periods AS w SET town = k.town
    FROM town_keys AS k
    WHERE k.key = tanfang_town_key(w.town) AND w.town IS DISTINCT FROM k.town;
