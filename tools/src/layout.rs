//! `mdbus layout`: the record layout every ring carries, as JSON, for readers written in other
//! languages (the pure-Python baseline reader in `sdk/python/bench` reads it): the schema version,
//! the layout hash, the header's fields and every record family's kind, name, size and fields
//! (name, byte offset, size, Rust type).

use mdbus_schemas::{FAMILIES, Field, HEADER_FIELDS, LAYOUT_HASH, Level, SCHEMA_VERSION};
use serde_json::{Value, json};

fn fields(list: &[Field]) -> Value {
    Value::Array(
        list.iter().map(|f| json!({ "name": f.name, "offset": f.offset, "size": f.size, "type": f.ty })).collect(),
    )
}

/// The layout as JSON. `layout_hash` is a decimal string (JSON numbers lose 64-bit precision
/// in some readers).
///
/// # Examples
///
/// ```
/// let v = mdbus_tools::layout::to_json();
/// assert_eq!(v["layout_hash"], mdbus_schemas::LAYOUT_HASH.to_string());
/// assert_eq!(v["families"][1]["name"], "trade");
/// ```
pub fn to_json() -> Value {
    let level = [
        Field::new("price", core::mem::offset_of!(Level, price), 8, "i64"),
        Field::new("qty", core::mem::offset_of!(Level, qty), 8, "i64"),
    ];
    let families: Vec<Value> = FAMILIES
        .iter()
        .map(|(kind, list)| {
            json!({
                "kind": kind.0, "name": kind.name().unwrap_or(""), "size": kind.record_size().unwrap_or(0),
                "fields": fields(list),
            })
        })
        .collect();
    json!({
        "schema_version": SCHEMA_VERSION,
        "layout_hash": LAYOUT_HASH.to_string(),
        "header": fields(HEADER_FIELDS),
        "level": fields(&level),
        "families": families,
    })
}

/// Record `i` of family `kind` as the layout test pattern fills it, so a reader in another
/// language can check every field it decodes: header `instrument` 7, `venue_seq` `i`,
/// `venue_ts` `10 i`, `recv_ts` `10 i + 1`, `publish_ts` `10 i + 2`; then field number `j` of the family (counting from
/// 1 after the header): 8-byte integers `1000 i + j`, 4-byte `100 i + j`, 2-byte `10 i + j`,
/// 1-byte `(i + j) mod 100`; text fields `t<i>.<j>`; order-book levels `k`:
/// price `100 i + k`, quantity `k + 1`; padding zero. `None` for an unknown kind.
pub fn sample_record(kind: mdbus_schemas::Kind, i: u64) -> Option<Vec<u8>> {
    let (_, fields) = FAMILIES.iter().find(|(k, _)| *k == kind)?;
    let mut b = vec![0u8; kind.record_size()?];
    let put = |b: &mut [u8], off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
    put(&mut b, 8, &[kind.0]);
    for f in HEADER_FIELDS {
        match f.name {
            "instrument" => put(&mut b, f.offset, &7u32.to_le_bytes()),
            "venue_seq" => put(&mut b, f.offset, &i.to_le_bytes()),
            "venue_ts" => put(&mut b, f.offset, &(10 * i).to_le_bytes()),
            "recv_ts" => put(&mut b, f.offset, &(10 * i + 1).to_le_bytes()),
            "publish_ts" => put(&mut b, f.offset, &(10 * i + 2).to_le_bytes()),
            _ => {}
        }
    }
    for (j, f) in fields.iter().enumerate().skip(1) {
        let j = j as u64;
        if f.name.starts_with("_pad") {
            continue;
        }
        match (f.ty, f.size) {
            ("Asset" | "OrderId" | "Symbol", n) => {
                let t = format!("t{i}.{j}");
                put(&mut b, f.offset, &t.as_bytes()[..t.len().min(n)]);
            }
            (ty, n) if ty.starts_with("[Level;") => {
                for k in 0..(n / 16) as u64 {
                    let off = f.offset + 16 * k as usize;
                    put(&mut b, off, &((100 * i + k) as i64).to_le_bytes());
                    put(&mut b, off + 8, &((k + 1) as i64).to_le_bytes());
                }
            }
            (ty, _) if ty.starts_with('[') => {}
            (_, 8) => put(&mut b, f.offset, &(1000 * i + j).to_le_bytes()),
            (_, 4) => put(&mut b, f.offset, &((100 * i + j) as u32).to_le_bytes()),
            (_, 2) => put(&mut b, f.offset, &((10 * i + j) as u16).to_le_bytes()),
            (_, 1) => put(&mut b, f.offset, &[((i + j) % 100) as u8]),
            _ => {}
        }
    }
    Some(b)
}
