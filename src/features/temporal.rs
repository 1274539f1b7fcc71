//! The temporal transformer of date and timestamp columns: calendar parts,
//! flags, days since the epoch and cyclical encodings.

use super::builder::Builder;
use super::fit::Train;
use super::{Roles, Transformer};
use crate::config::FeatureEngineering;
use crate::dialect::DatePart;
use crate::metadata::ColumnKind;
use crate::model::ColumnType;

impl Builder<'_> {
    pub(super) fn temporal_columns(&mut self, train: &Train, config: &FeatureEngineering) {
        if config.temporal.enabled {
            for (column, s) in &train.usable {
                if column.kind == ColumnKind::Datetime && s.count > 0 {
                    self.temporal(
                        &column.name,
                        column.column_type,
                        config.temporal.include_cyclical,
                    );
                }
            }
        }
    }

    /// Lags and a rolling mean of the numeric columns over earlier rows,
    /// ordered by the time column within the group column: window
    /// functions evaluated inside the database. A row never sees itself or
    /// a later row (rows of the same time are ordered as stored).
    pub(super) fn lag_columns(
        &mut self,
        train: &Train,
        roles: &Roles,
        config: &FeatureEngineering,
    ) {
        let temporal = &config.temporal;
        let Some(time) = roles.time_column else {
            return;
        };
        if !temporal.enabled || !temporal.include_lag || train.table.column(time).is_none() {
            return;
        }
        let group = roles
            .group_column
            .filter(|g| train.table.column(g).is_some());
        let partition = group.map_or_else(String::new, |g| format!("PARTITION BY {} ", self.q(g)));
        let order = format!("ORDER BY {}", self.q(time));
        let mut reads = vec![time.to_string()];
        reads.extend(group.map(str::to_string));
        let mut periods = temporal.lag_periods.clone();
        periods.sort_unstable();
        periods.dedup();
        for (column, s) in &train.usable {
            let numeric = matches!(column.column_type, ColumnType::Integer | ColumnType::Float);
            if !numeric || column.kind != ColumnKind::Numeric || s.count == 0 || column.name == time
            {
                continue;
            }
            let c = self.q(&column.name);
            for &k in periods.iter().filter(|k| **k > 0) {
                self.push(
                    &column.name,
                    &format!("lag_{k}"),
                    Transformer::Temporal,
                    column.column_type,
                    format!("LAG({c}, {k}) OVER ({partition}{order})"),
                );
                self.reads_also(&reads);
            }
            if temporal.rolling_window > 0 {
                let n = temporal.rolling_window;
                self.push(
                    &column.name,
                    &format!("rolling_mean_{n}"),
                    Transformer::Temporal,
                    ColumnType::Float,
                    format!(
                        "AVG({}) OVER ({partition}{order} ROWS BETWEEN {n} PRECEDING AND 1 PRECEDING)",
                        self.dialect.to_float(&c)
                    ),
                );
                self.reads_also(&reads);
            }
        }
    }

    fn temporal(&mut self, column: &str, column_type: ColumnType, cyclical: bool) {
        let c = self.q(column);
        let d = self.dialect;
        let timestamp = column_type == ColumnType::Datetime;
        // Day counts and weekdays of timestamps come from their dates.
        let date = if timestamp { d.date_of(&c) } else { c.clone() };
        let part = |p| match p {
            DatePart::DayOfWeek => d.date_part(p, &date),
            _ => d.date_part(p, &c),
        };
        let mut parts = vec![
            ("year", part(DatePart::Year)),
            ("month", part(DatePart::Month)),
            ("day", part(DatePart::Day)),
            ("dayofweek", part(DatePart::DayOfWeek)),
        ];
        if timestamp {
            parts.push(("hour", part(DatePart::Hour)));
        }
        parts.push(("quarter", part(DatePart::Quarter)));
        let flags = [
            ("is_weekend", format!("{} >= 5", part(DatePart::DayOfWeek))),
            ("is_month_start", format!("{} = 1", part(DatePart::Day))),
            ("is_month_end", d.is_month_end(&c)),
        ];
        parts.extend(flags.map(|(suffix, condition)| (suffix, self.flag(&condition))));
        for (suffix, expression) in parts {
            self.push(
                column,
                suffix,
                Transformer::Temporal,
                ColumnType::Integer,
                expression,
            );
        }
        let days = d.days_since_epoch(&date);
        self.push(
            column,
            "days_since_epoch",
            Transformer::Temporal,
            ColumnType::Integer,
            days,
        );
        if !cyclical {
            return;
        }
        let mut cycles = vec![
            ("month", part(DatePart::Month), 12.0),
            ("dayofweek", part(DatePart::DayOfWeek), 7.0),
        ];
        if timestamp {
            cycles.push(("hour", part(DatePart::Hour), 24.0));
        }
        for (name, value, period) in cycles {
            // 2π·value/period, multiplied before dividing (as documented).
            let angle = format!(
                "({} * {} / {})",
                self.float(std::f64::consts::TAU),
                d.to_float(&value),
                self.float(period)
            );
            for function in ["SIN", "COS"] {
                let expression = format!("{function}({angle})");
                self.push(
                    column,
                    &format!("{name}_{}", function.to_ascii_lowercase()),
                    Transformer::Temporal,
                    ColumnType::Float,
                    expression,
                );
            }
        }
    }
}
