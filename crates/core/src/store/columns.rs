//! Conversion between registry field values (JSON) and SQLite columns.
//!
//! The client tables mirror the registry: column name = field name. Strings, dates,
//! enums, references and decimals are TEXT; integers INTEGER; floats REAL; booleans
//! 0/1; lists and free JSON are JSON text. Table and column names only ever come
//! from the static registry, never from input, so formatting them into SQL is safe.

use fieldaudit_protocol::{EntityKind, FieldSpec, ValueType};
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, Params, Row};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{CoreError, Result};

/// The SQLite value stored for a field value.
pub(crate) fn to_sql(spec: &FieldSpec, value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        // Free JSON keeps its JSON type: `false` must come back as `false`, not 0.
        other if matches!(spec.ty, ValueType::Json) => SqlValue::Text(other.to_string()),
        Value::Bool(b) => SqlValue::Integer(*b as i64),
        Value::Number(n) => match spec.ty {
            ValueType::Int => SqlValue::Integer(n.as_i64().unwrap_or_default()),
            ValueType::Float => SqlValue::Real(n.as_f64().unwrap_or_default()),
            _ => SqlValue::Text(n.to_string()),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// The field value of a stored column.
pub(crate) fn from_sql(entity: EntityKind, spec: &FieldSpec, raw: ValueRef<'_>) -> Result<Value> {
    let corrupt = |reason: String| CoreError::Corrupt {
        entity: entity.to_string(),
        field: spec.name.into(),
        reason,
    };
    Ok(match (spec.ty, raw) {
        (_, ValueRef::Null) => Value::Null,
        (ValueType::Bool, ValueRef::Integer(i)) => Value::Bool(i != 0),
        (ValueType::Int, ValueRef::Integer(i)) => Value::from(i),
        (ValueType::Float, ValueRef::Real(f)) => Value::from(f),
        (ValueType::Float, ValueRef::Integer(i)) => Value::from(i as f64),
        (ValueType::Json | ValueType::TextList, ValueRef::Text(t)) => {
            serde_json::from_slice(t).map_err(|e| corrupt(e.to_string()))?
        }
        (_, ValueRef::Text(t)) => Value::String(String::from_utf8_lossy(t).into_owned()),
        (_, other) => {
            return Err(corrupt(format!(
                "unexpected stored type {:?}",
                other.data_type()
            )))
        }
    })
}

/// Converts one result row (columns `id` then every registry field, in order) to JSON.
pub fn row_from_sql(entity: EntityKind, row: &Row<'_>) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    let id: String = row.get(0)?;
    map.insert("id".into(), Value::String(id));
    for (i, spec) in entity.fields().iter().enumerate() {
        map.insert(
            spec.name.into(),
            from_sql(entity, spec, row.get_ref(i + 1)?)?,
        );
    }
    Ok(map)
}

/// `SELECT id, <all fields> FROM <entity>` (for composing queries).
pub(crate) fn select_all(entity: EntityKind) -> String {
    let cols: Vec<&str> = entity.fields().iter().map(|f| f.name).collect();
    format!("SELECT id, {} FROM {}", cols.join(", "), entity.as_str())
}

/// Rows of `entity` matching a SQL condition (`where_sql` may use `?1`… parameters
/// and may end with ORDER BY), as JSON objects.
pub fn select_rows<P: Params>(
    conn: &Connection,
    entity: EntityKind,
    where_sql: &str,
    params: P,
) -> Result<Vec<Map<String, Value>>> {
    let sql = format!("{} WHERE {}", select_all(entity), where_sql);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(row_from_sql(entity, row)?);
    }
    Ok(out)
}

/// One row as JSON, if it exists.
pub(crate) fn read_row(
    conn: &Connection,
    entity: EntityKind,
    id: Uuid,
) -> Result<Option<Map<String, Value>>> {
    Ok(select_rows(conn, entity, "id = ?1", [id.to_string()])?.pop())
}

/// Decodes a JSON row into a model type.
pub(crate) fn decode<T: DeserializeOwned>(
    entity: EntityKind,
    row: Map<String, Value>,
) -> Result<T> {
    serde_json::from_value(Value::Object(row)).map_err(|e| CoreError::Corrupt {
        entity: entity.to_string(),
        field: "*".into(),
        reason: e.to_string(),
    })
}

/// Adapter so a [`SqlValue`] can be bound directly.
pub(crate) struct Bind<'a>(pub &'a SqlValue);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(self.0.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client schema and the registry must agree column for column.
    #[test]
    fn client_tables_match_the_registry() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("db")).unwrap();
        for entity in EntityKind::ALL {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{}')",
                    entity.as_str()
                ))
                .unwrap();
            let cols: Vec<String> = stmt
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(|c| c.unwrap())
                .collect();
            let mut expected = vec!["id".to_string()];
            expected.extend(entity.fields().iter().map(|f| f.name.to_string()));
            assert_eq!(cols, expected, "table {entity} differs from the registry");
        }
    }
}
