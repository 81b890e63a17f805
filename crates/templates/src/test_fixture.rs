//! A small template, used by the unit tests, with one item of every answer type,
//! every kind of fail rule, conditions, a repeat group and a computed value.

use crate::Template;

pub(crate) const SAMPLE: &str = r#"
id = "sample"
version = 3
title.en = "Sample"

[[sections]]
id = "site"
title.en = "Site"

[[sections.items]]
id = "site.exit_locked"
text.en = "Exit locked?"
answer = "yes_no"
evidence_photo = true
fail = [{ on = "yes", severity = "critical" }]

[[sections.items]]
id = "site.plan"
text.en = "Written plan?"
answer = "yes_no"
allow_na = true
fail = [{ on = "no", severity = "major" }]

[[sections.items]]
id = "site.hours"
text.en = "Highest weekly hours"
answer = "number"
min = 0
max = 168
unit = "hours"
fail = [{ above = 60, severity = "major" }, { above = 72, severity = "critical" }]

[[sections.items]]
id = "site.workers"
text.en = "Workers"
answer = "number"
min = 0
integer = true

[[sections.items]]
id = "site.participation"
text.en = "Participation"
answer = "number"
unit = "%"
fail = [{ below = 80, severity = "observation" }]

[[sections.items]]
id = "site.last_drill"
text.en = "Last drill"
answer = "date"
show_if = { item = "site.plan", equals = "yes" }
fail = [{ older_than_days = 365, severity = "major" }]

[[sections.items]]
id = "site.blocked"
text.en = "Exits blocked?"
answer = "choice"
options = [
  { id = "clear", text.en = "Clear" },
  { id = "partly", text.en = "Partly", severity = "major" },
  { id = "blocked", text.en = "Blocked", severity = "critical" },
]

[[sections.items]]
id = "site.hazards"
text.en = "Hazards seen"
answer = "choice"
multiple = true
options = [
  { id = "wiring", text.en = "Wiring", severity = "major" },
  { id = "clutter", text.en = "Clutter", severity = "minor" },
  { id = "chemicals", text.en = "Chemicals", severity = "major" },
]

[[sections.items]]
id = "site.blocked_where"
text.en = "Where?"
answer = "text"
show_if = { item = "site.blocked", any_of = ["partly", "blocked"] }

[[sections.items]]
id = "site.blocked_photo"
text.en = "Photo of the blockage"
answer = "photo"
show_if = { item = "site.blocked", equals = "blocked" }

[[sections.items]]
id = "site.dorms"
text.en = "Dormitories provided?"
answer = "yes_no"

[[sections]]
id = "building"
title.en = "Dormitory building"
repeat = { label.en = "Building", min = 1, max = 5 }
show_if = { item = "site.dorms", equals = "yes" }

[[sections.items]]
id = "building.area"
text.en = "Floor area"
answer = "number"
min = 0
unit = "m²"

[[sections.items]]
id = "building.residents"
text.en = "Residents"
answer = "number"
min = 0
integer = true

[[sections.items]]
id = "building.per_person"
text.en = "m² per resident"
answer = "number"
compute = { divide = "building.area", by = "building.residents" }
fail = [{ below = 2, severity = "major" }]

[[sections.items]]
id = "building.bunks"
text.en = "Triple bunks?"
answer = "yes_no"
show_if = { item = "building.residents", above = 0 }
fail = [{ on = "yes", severity = "major" }]
"#;

pub(crate) fn sample() -> Template {
    match Template::parse_toml(SAMPLE, "sample.toml") {
        Ok(t) => t,
        Err(e) => panic!("fixture does not parse: {e}"),
    }
}
