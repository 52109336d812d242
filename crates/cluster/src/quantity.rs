//! Resource quantities (`500m`, `1`, `128Mi`, `1.5Gi`, `2e3`), as `resource.Quantity` parses,
//! compares, adds and prints them.
//!
//! Values are held exactly as thousandths (milli-units), which covers every quantity a learner
//! writes for cpu, memory, storage and object counts; sub-milli fractions round up, as the real
//! `Quantity.MilliValue` does.

use std::cmp::Ordering;
use std::fmt;

/// How a quantity prints: with binary (`Ki`, `Mi`) or decimal (`k`, `M`) suffixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    BinarySI,
    DecimalSI,
}

/// A parsed quantity.
#[derive(Clone, Copy, Debug)]
pub struct Quantity {
    /// The value in thousandths.
    pub milli: i128,
    pub format: Format,
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.milli == other.milli
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.milli.cmp(&other.milli)
    }
}

const BINARY: &[(&str, i128)] = &[
    ("Ei", 1 << 60),
    ("Pi", 1 << 50),
    ("Ti", 1 << 40),
    ("Gi", 1 << 30),
    ("Mi", 1 << 20),
    ("Ki", 1 << 10),
];
const DECIMAL: &[(&str, i128)] = &[
    ("E", 1_000_000_000_000_000_000),
    ("P", 1_000_000_000_000_000),
    ("T", 1_000_000_000_000),
    ("G", 1_000_000_000),
    ("M", 1_000_000),
    ("k", 1_000),
];

/// The error text of `resource.ParseQuantity`.
pub const PARSE_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

impl Quantity {
    pub fn zero() -> Quantity {
        Quantity {
            milli: 0,
            format: Format::DecimalSI,
        }
    }

    pub fn from_milli(milli: i128, format: Format) -> Quantity {
        Quantity { milli, format }
    }

    /// Parses a quantity string; the error is the real parser's message.
    pub fn parse(s: &str) -> Result<Quantity, &'static str> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
            .unwrap_or(s.len());
        let (number, suffix) = s.split_at(split);
        if number.is_empty() || number == "+" || number == "-" {
            return Err(PARSE_ERROR);
        }
        let negative = number.starts_with('-');
        let digits = number.trim_start_matches(['+', '-']);
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        if int_part.is_empty() && frac_part.is_empty()
            || !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(PARSE_ERROR);
        }
        // The value as (mantissa, power of ten).
        let mantissa: i128 = format!("{int_part}{frac_part}")
            .parse()
            .map_err(|_| PARSE_ERROR)?;
        let mut exp10: i32 = -(frac_part.len() as i32);
        let (mut multiplier, format) = (1i128, Format::DecimalSI);
        let mut format = format;
        match suffix {
            "" => {}
            "m" => exp10 -= 3,
            "u" => exp10 -= 6,
            "n" => exp10 -= 9,
            s if s.starts_with(['e', 'E']) => {
                exp10 += s[1..].parse::<i32>().map_err(|_| PARSE_ERROR)?;
            }
            s => {
                if let Some((_, m)) = BINARY.iter().find(|(n, _)| *n == s) {
                    multiplier = *m;
                    format = Format::BinarySI;
                } else if let Some((_, m)) = DECIMAL.iter().find(|(n, _)| *n == s) {
                    multiplier = *m;
                } else {
                    return Err(PARSE_ERROR);
                }
            }
        }
        // milli = mantissa * multiplier * 10^(exp10 + 3), rounded up.
        let scale = exp10 + 3;
        let value = mantissa.checked_mul(multiplier).ok_or(PARSE_ERROR)?;
        let milli = if scale >= 0 {
            value
                .checked_mul(10i128.checked_pow(scale as u32).ok_or(PARSE_ERROR)?)
                .ok_or(PARSE_ERROR)?
        } else {
            let d = 10i128.checked_pow((-scale) as u32).ok_or(PARSE_ERROR)?;
            (value + d - 1) / d
        };
        Ok(Quantity {
            milli: if negative { -milli } else { milli },
            format,
        })
    }

    /// The value rounded up to a whole unit (`Quantity.Value`).
    pub fn value(&self) -> i128 {
        (self.milli + 999).div_euclid(1000)
    }
}

/// Sums keep the left operand's format, as `Quantity.Add` does.
impl std::ops::Add for Quantity {
    type Output = Quantity;
    fn add(self, other: Quantity) -> Quantity {
        Quantity {
            milli: self.milli + other.milli,
            format: self.format,
        }
    }
}

impl fmt::Display for Quantity {
    /// The canonical form (`Quantity.String`): `500m`, `1`, `512Mi`, `1k`.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.milli % 1000 != 0 {
            return write!(f, "{}m", self.milli);
        }
        let v = self.milli / 1000;
        if v == 0 {
            return f.write_str("0");
        }
        let table = match self.format {
            Format::BinarySI => BINARY,
            Format::DecimalSI => DECIMAL,
        };
        for (suffix, m) in table {
            if v % m == 0 {
                return write!(f, "{}{suffix}", v / m);
            }
        }
        write!(f, "{v}")
    }
}

/// Helpers over the typed `resource.Quantity` of k8s-openapi (a string newtype), for code that
/// works on typed objects (scheduler, kubelet). Unparseable quantities count as zero: validation
/// has already refused them on the way in.
pub type ApiQuantity = k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// `requests["cpu"]`-style lookup in an optional resource list.
pub fn get<'a>(
    list: Option<&'a std::collections::BTreeMap<String, ApiQuantity>>,
    name: &str,
) -> Option<&'a ApiQuantity> {
    list.and_then(|l| l.get(name))
}

/// The quantity in thousandths (`MilliValue`): cpu in millicores.
pub fn millicores(q: &ApiQuantity) -> i64 {
    Quantity::parse(&q.0).map_or(0, |q| q.milli as i64)
}

/// The quantity rounded up to whole units (`Value`): memory in bytes.
pub fn value(q: &ApiQuantity) -> i64 {
    Quantity::parse(&q.0).map_or(0, |q| q.value() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn parses_the_usual_forms() {
        assert_eq!(q("500m").milli, 500);
        assert_eq!(q("1").milli, 1000);
        assert_eq!(q("0.5").milli, 500);
        assert_eq!(q("1.5Gi").milli, 1536 * (1 << 20) * 1000);
        assert_eq!(q("128Mi").value(), 128 << 20);
        assert_eq!(q("1k").value(), 1000);
        assert_eq!(q("2e3").value(), 2000);
        assert!(q("1Gi") > q("1000Mi"));
        for bad in ["", "abc", "1Xi", "1..2", "m"] {
            assert_eq!(Quantity::parse(bad), Err(PARSE_ERROR), "{bad}");
        }
    }

    #[test]
    fn typed_helpers() {
        let q = k8s_openapi::apimachinery::pkg::api::resource::Quantity("250m".into());
        assert_eq!(millicores(&q), 250);
        assert_eq!(
            value(&k8s_openapi::apimachinery::pkg::api::resource::Quantity(
                "1Ki".into()
            )),
            1024
        );
        let mut m = std::collections::BTreeMap::new();
        m.insert("cpu".to_string(), q);
        assert!(get(Some(&m), "cpu").is_some());
        assert!(get(None, "cpu").is_none());
    }

    #[test]
    fn prints_canonically() {
        assert_eq!((q("256Mi") + q("256Mi")).to_string(), "512Mi");
        assert_eq!((q("500m") + q("500m")).to_string(), "1");
        assert_eq!(q("300m").to_string(), "300m");
        assert_eq!(q("1000").to_string(), "1k");
        assert_eq!(q("3").to_string(), "3");
        assert_eq!(Quantity::zero().to_string(), "0");
    }
}
