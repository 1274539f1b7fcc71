//! The text transformer of free-text columns: length, word, digit and
//! special-character counts, uppercase ratio, URL and e-mail flags.

use super::builder::Builder;
use super::fit::{self, Train};
use super::Transformer;
use crate::config::FeatureEngineering;
use crate::dialect::TextMeasure;
use crate::error::Result;
use crate::metadata::ColumnKind;
use crate::model::ColumnType;
use crate::store::Store;

impl Builder<'_> {
    /// Text measures of text columns long enough on average.
    pub(super) fn text_columns(
        &mut self,
        store: &mut dyn Store,
        train: &Train,
        config: &FeatureEngineering,
    ) -> Result<()> {
        let text_columns = train.names_where(|c, s| {
            c.kind == ColumnKind::Text && c.column_type == ColumnType::Text && s.count > 0
        });
        if config.text.enabled && !text_columns.is_empty() {
            let means = fit::mean_lengths(store, self.dialect, &text_columns)?;
            for (column, mean) in text_columns.iter().zip(means) {
                if mean.is_some_and(|m| m >= config.text.min_text_length) {
                    self.text(column);
                }
            }
        }

        Ok(())
    }

    fn text(&mut self, column: &str) {
        let c = self.q(column);
        let d = self.dialect;
        let length = d.char_length(&c);
        let counts = [
            ("length", length.clone()),
            ("word_count", d.text_measure(TextMeasure::Words, &c)),
            ("digit_count", d.text_measure(TextMeasure::Digits, &c)),
            (
                "special_char_count",
                d.text_measure(TextMeasure::Special, &c),
            ),
        ];
        for (suffix, expression) in counts {
            self.push(
                column,
                suffix,
                Transformer::Text,
                ColumnType::Integer,
                expression,
            );
        }
        let ratio = format!(
            "CASE WHEN {c} IS NULL OR {length} = 0 THEN NULL ELSE {} / {} END",
            d.to_float(&d.text_measure(TextMeasure::Uppercase, &c)),
            d.to_float(&length)
        );
        self.push(
            column,
            "uppercase_ratio",
            Transformer::Text,
            ColumnType::Float,
            ratio,
        );
        let lower = format!("LOWER({c})");
        let url = self.flag(&format!(
            "{lower} LIKE '%http://%' OR {lower} LIKE '%https://%' OR {lower} LIKE '%www.%'"
        ));
        self.push(
            column,
            "has_url",
            Transformer::Text,
            ColumnType::Integer,
            url,
        );
        let email = self.flag(&d.contains_email(&c));
        self.push(
            column,
            "has_email",
            Transformer::Text,
            ColumnType::Integer,
            email,
        );
    }
}
