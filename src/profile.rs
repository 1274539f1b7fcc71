//! Per-column statistics computed while a table is loaded, in one pass and
//! bounded memory: counts, nulls, a HyperLogLog distinct estimate, min/max,
//! mean and standard deviation (Welford), and top values of low-cardinality
//! columns (exact until the cap is passed).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::{ColumnData, ColumnType};
use crate::time;

/// Top values kept per column in the statistics.
const TOP_VALUES: usize = 10;

/// Values counted exactly over all the columns of a table being profiled
/// (each up to `max_categorical_cardinality` distinct ones): a wide
/// table's columns count fewer each, so that memory does not grow with
/// the column count (5,000 columns with 1,000 each took 160 MB); beyond
/// it, the distinct count is estimated.
const EXACT_COUNT_BUDGET: usize = 1 << 20;

/// The distinct values counted exactly per column of a table of `columns`
/// columns, at most `cap`.
pub fn exact_count_cap(cap: usize, columns: usize) -> usize {
    cap.min(EXACT_COUNT_BUDGET / columns.max(1))
}

/// Statistics of one column, as stored in `_metadata` and shown by mdm.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnStatistics {
    pub count: u64,
    pub nulls: u64,
    pub distinct: u64,
    /// False when `distinct` is a HyperLogLog estimate.
    pub distinct_exact: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zeros: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negatives: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_values: Vec<(String, u64)>,
}

/// HyperLogLog with 2^12 registers (about 1.6% standard error).
#[derive(Clone)]
struct HyperLogLog {
    registers: Vec<u8>,
}

impl HyperLogLog {
    const BITS: u32 = 12;

    fn new() -> Self {
        HyperLogLog {
            registers: vec![0; 1 << Self::BITS],
        }
    }

    #[inline]
    fn add(&mut self, hash: u64) {
        let index = (hash >> (64 - Self::BITS)) as usize;
        let rest = (hash << Self::BITS) | (1 << (Self::BITS - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        if rank > self.registers[index] {
            self.registers[index] = rank;
        }
    }

    fn estimate(&self) -> u64 {
        let m = self.registers.len() as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = self.registers.iter().map(|&r| 2f64.powi(-(r as i32))).sum();
        let raw = alpha * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        estimate.round() as u64
    }
}

/// A fast 64-bit mix (MurmurHash3's finalizer).
#[inline]
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[inline]
fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = 0x9e37_79b9_7f4a_7c15 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    let mut tail = [0u8; 8];
    let rest = chunks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    h = (h.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(0x517c_c1b7_2722_0a95);
    mix(h)
}

/// Exact value counts until more than `cap` distinct values are seen.
#[derive(Clone)]
enum TopCounter<K> {
    Counting(HashMap<K, u64>),
    Overflowed,
}

impl<K: std::hash::Hash + Eq> TopCounter<K> {
    #[inline]
    fn add_with(
        &mut self,
        cap: usize,
        key: &impl Fn() -> K,
        probe: impl FnOnce(&mut HashMap<K, u64>) -> bool,
    ) {
        if let TopCounter::Counting(map) = self {
            if !probe(map) {
                if map.len() >= cap {
                    *self = TopCounter::Overflowed;
                } else {
                    map.insert(key(), 1);
                }
            }
        }
    }
}

/// Accumulates the statistics of one column over many batches.
#[derive(Clone)]
pub struct ColumnProfiler {
    column_type: ColumnType,
    cap: usize,
    count: u64,
    nulls: u64,
    hll: HyperLogLog,
    // Welford's running mean and sum of squared deviations.
    mean: f64,
    m2: f64,
    min_float: f64,
    max_float: f64,
    min_int: i64,
    max_int: i64,
    /// Every integer so far was larger than the one before (so all distinct).
    increasing: bool,
    last_int: Option<i64>,
    zeros: u64,
    negatives: u64,
    min_length: u64,
    max_length: u64,
    text_top: TopCounter<Box<str>>,
    int_top: TopCounter<i64>,
}

impl ColumnProfiler {
    /// A profiler for a column of `column_type`; exact value counts are kept
    /// for at most `cap` distinct values.
    pub fn new(column_type: ColumnType, cap: usize) -> Self {
        ColumnProfiler {
            column_type,
            cap,
            count: 0,
            nulls: 0,
            hll: HyperLogLog::new(),
            mean: 0.0,
            m2: 0.0,
            min_float: f64::INFINITY,
            max_float: f64::NEG_INFINITY,
            min_int: i64::MAX,
            max_int: i64::MIN,
            increasing: true,
            last_int: None,
            zeros: 0,
            negatives: 0,
            min_length: u64::MAX,
            max_length: 0,
            text_top: TopCounter::Counting(HashMap::new()),
            int_top: TopCounter::Counting(HashMap::new()),
        }
    }

    #[inline]
    fn add_number(&mut self, value: f64) {
        self.count += 1;
        let delta = value - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (value - self.mean);
        if value < self.min_float {
            self.min_float = value;
        }
        if value > self.max_float {
            self.max_float = value;
        }
        if value == 0.0 {
            self.zeros += 1;
        } else if value < 0.0 {
            self.negatives += 1;
        }
    }

    #[inline]
    fn add_int(&mut self, value: i64) {
        if self.increasing {
            self.increasing = self.last_int.is_none_or(|last| value > last);
            self.last_int = Some(value);
        }
        self.min_int = self.min_int.min(value);
        self.max_int = self.max_int.max(value);
        self.hll.add(mix(value as u64));
        let cap = self.cap;
        self.int_top
            .add_with(cap, &|| value, |map| match map.get_mut(&value) {
                Some(n) => {
                    *n += 1;
                    true
                }
                None => false,
            });
    }

    /// Adds the values of one batch column.
    pub fn update(&mut self, data: &ColumnData) {
        match data {
            ColumnData::Integer(values) => {
                for value in values {
                    match *value {
                        Some(v) => {
                            self.add_number(v as f64);
                            self.add_int(v);
                        }
                        None => self.nulls += 1,
                    }
                }
            }
            ColumnData::Float(values) => {
                for value in values {
                    match *value {
                        Some(v) => {
                            self.add_number(v);
                            self.hll.add(mix(v.to_bits()));
                        }
                        None => self.nulls += 1,
                    }
                }
            }
            ColumnData::Boolean(values) => {
                for value in values {
                    match *value {
                        Some(v) => {
                            self.count += 1;
                            self.add_int(v as i64);
                        }
                        None => self.nulls += 1,
                    }
                }
            }
            ColumnData::Date(values) => {
                for value in values {
                    match *value {
                        Some(v) => {
                            self.count += 1;
                            self.add_int(v as i64);
                        }
                        None => self.nulls += 1,
                    }
                }
            }
            ColumnData::Datetime(values) => {
                for value in values {
                    match *value {
                        Some(v) => {
                            self.count += 1;
                            self.min_int = self.min_int.min(v);
                            self.max_int = self.max_int.max(v);
                            self.hll.add(mix(v as u64));
                        }
                        None => self.nulls += 1,
                    }
                }
            }
            ColumnData::Text(values) => {
                for row in 0..values.len() {
                    let Some(text) = values.get(row) else {
                        self.nulls += 1;
                        continue;
                    };
                    self.count += 1;
                    let length = text.chars().count() as u64;
                    self.min_length = self.min_length.min(length);
                    self.max_length = self.max_length.max(length);
                    self.hll.add(hash_bytes(text.as_bytes()));
                    let cap = self.cap;
                    self.text_top.add_with(cap, &|| Box::from(text), |map| {
                        match map.get_mut(text) {
                            Some(n) => {
                                *n += 1;
                                true
                            }
                            None => false,
                        }
                    });
                }
            }
        }
    }

    /// Whether the non-null integer values seen were strictly increasing,
    /// which proves them unique without another pass.
    pub fn is_strictly_increasing(&self) -> bool {
        self.increasing && self.count > 0 && matches!(self.column_type, ColumnType::Integer)
    }

    /// The statistics gathered so far.
    pub fn finish(&self) -> ColumnStatistics {
        let mut stats = ColumnStatistics {
            count: self.count,
            nulls: self.nulls,
            ..Default::default()
        };
        let exact_counts: Option<Vec<(String, u64)>> = match self.column_type {
            ColumnType::Text => match &self.text_top {
                TopCounter::Counting(map) => {
                    Some(map.iter().map(|(k, v)| (k.to_string(), *v)).collect())
                }
                TopCounter::Overflowed => None,
            },
            ColumnType::Float | ColumnType::Datetime => None,
            _ => match &self.int_top {
                TopCounter::Counting(map) => {
                    Some(map.iter().map(|(k, v)| (self.render_int(*k), *v)).collect())
                }
                TopCounter::Overflowed => None,
            },
        };
        match &exact_counts {
            Some(counts) => {
                stats.distinct = counts.len() as u64;
                stats.distinct_exact = true;
            }
            None => {
                stats.distinct = self.hll.estimate().min(self.count);
                stats.distinct_exact = self.count == 0;
            }
        }
        if let Some(mut counts) = exact_counts {
            if matches!(self.column_type, ColumnType::Text | ColumnType::Boolean)
                || (self.column_type == ColumnType::Integer && counts.len() <= self.cap)
            {
                counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                counts.truncate(TOP_VALUES);
                stats.top_values = counts;
            }
        }
        if self.count == 0 {
            return stats;
        }
        match self.column_type {
            ColumnType::Integer => {
                stats.min = Some(self.min_int.into());
                stats.max = Some(self.max_int.into());
            }
            ColumnType::Float => {
                stats.min = serde_json::Number::from_f64(self.min_float).map(Into::into);
                stats.max = serde_json::Number::from_f64(self.max_float).map(Into::into);
            }
            ColumnType::Boolean => {
                stats.min = Some((self.min_int != 0).into());
                stats.max = Some((self.max_int != 0).into());
            }
            ColumnType::Date => {
                stats.min = Some(time::format_date(self.min_int as i32).into());
                stats.max = Some(time::format_date(self.max_int as i32).into());
            }
            ColumnType::Datetime => {
                stats.min = Some(time::format_datetime(self.min_int).into());
                stats.max = Some(time::format_datetime(self.max_int).into());
            }
            ColumnType::Text => {
                stats.min_length = Some(self.min_length);
                stats.max_length = Some(self.max_length);
            }
        }
        if self.column_type.is_numeric() {
            stats.mean = Some(self.mean).filter(|m| m.is_finite());
            stats.std = (self.count > 1)
                .then(|| (self.m2 / (self.count - 1) as f64).sqrt())
                .filter(|s| s.is_finite());
            stats.zeros = Some(self.zeros);
            stats.negatives = Some(self.negatives);
        }
        stats
    }

    fn render_int(&self, value: i64) -> String {
        match self.column_type {
            ColumnType::Boolean => (value != 0).to_string(),
            ColumnType::Date => time::format_date(value as i32),
            _ => value.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TextColumn;

    #[test]
    fn numeric_statistics_match_a_direct_computation() {
        let values = vec![Some(1), Some(2), None, Some(3), Some(-4), Some(0)];
        let mut profiler = ColumnProfiler::new(ColumnType::Integer, 100);
        profiler.update(&ColumnData::Integer(values));
        let stats = profiler.finish();
        assert_eq!((stats.count, stats.nulls, stats.distinct), (5, 1, 5));
        assert_eq!(stats.mean, Some(0.4));
        let expected_std = ((0.36 + 2.56 + 6.76 + 19.36 + 0.16) / 4.0f64).sqrt();
        assert!((stats.std.unwrap() - expected_std).abs() < 1e-12);
        assert_eq!(stats.min, Some((-4).into()));
        assert_eq!((stats.zeros, stats.negatives), (Some(1), Some(1)));
    }

    #[test]
    fn the_distinct_estimate_is_close_for_many_values() {
        let mut profiler = ColumnProfiler::new(ColumnType::Text, 10);
        let mut column = TextColumn::default();
        for i in 0..100_000 {
            column.push(Some(&format!("value-{i}")));
        }
        profiler.update(&ColumnData::Text(column));
        let stats = profiler.finish();
        assert!(!stats.distinct_exact);
        let error = (stats.distinct as f64 - 100_000.0).abs() / 100_000.0;
        assert!(error < 0.05, "estimate {} too far off", stats.distinct);
    }

    #[test]
    fn top_values_are_counted_exactly_below_the_cap() {
        let mut profiler = ColumnProfiler::new(ColumnType::Text, 10);
        let mut column = TextColumn::default();
        for value in ["b", "a", "b", "c", "b", "a"] {
            column.push(Some(value));
        }
        profiler.update(&ColumnData::Text(column));
        let stats = profiler.finish();
        assert_eq!(stats.top_values[0], ("b".to_string(), 3));
        assert_eq!(stats.top_values[1], ("a".to_string(), 2));
        assert_eq!((stats.distinct, stats.distinct_exact), (3, true));
    }
}
