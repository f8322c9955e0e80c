//! Kubernetes resource quantities (`100m`, `0.5`, `512Mi`, `1Gi`, `1e3`).
//!
//! Grammar (k8s.io/apimachinery `resource.Quantity`):
//! `<sign>? (<digits> | <digits>.<digits> | <digits>. | .<digits>) <suffix>`
//! where the suffix is binary (`Ki Mi Gi Ti Pi Ei`), decimal
//! (`n u m "" k M G T P E`) or a decimal exponent (`e3`, `E-2`).

/// A parsed quantity, exact to the milli-unit (rounded up, as Kubernetes does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity {
    milli: i128,
}

const EXPECTED: &str = "quantities must match the regular expression \
     '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// Significant digits kept exactly; further digits only round the result up.
const MAX_EXACT_DIGITS: u32 = 18;

/// The scale a suffix applies: `value × 2^binary × 10^decimal`.
struct Scale {
    binary: u32,
    decimal: i32,
}

fn suffix_scale(suffix: &str) -> Option<Scale> {
    let binary = |binary| Some(Scale { binary, decimal: 0 });
    let decimal = |decimal| Some(Scale { binary: 0, decimal });
    match suffix {
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "" => decimal(0),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        _ => exponent(suffix).map(|decimal| Scale { binary: 0, decimal }),
    }
}

/// `e3`, `E-2`, `e+4`: a decimal exponent.
fn exponent(suffix: &str) -> Option<i32> {
    let rest = suffix.strip_prefix(['e', 'E'])?;
    let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

/// The digits of a number with the decimal exponent they carry:
/// `12.5` → (125, -1). Digits past the exact range set `inexact`.
struct Mantissa {
    digits: u128,
    exponent: i32,
    inexact: bool,
}

fn mantissa(int_part: &str, frac_part: &str) -> Mantissa {
    let mut m = Mantissa {
        digits: 0,
        exponent: 0,
        inexact: false,
    };
    let mut kept = 0;
    let all = int_part
        .bytes()
        .map(|b| (b, false))
        .chain(frac_part.bytes().map(|b| (b, true)));
    for (b, fractional) in all {
        let d = u128::from(b - b'0');
        if m.digits == 0 && d == 0 {
            if fractional {
                m.exponent -= 1;
            }
            continue;
        }
        if kept < MAX_EXACT_DIGITS {
            m.digits = m.digits * 10 + d;
            kept += 1;
            if fractional {
                m.exponent -= 1;
            }
        } else {
            m.inexact |= d != 0;
            if !fractional {
                m.exponent += 1;
            }
        }
    }
    m
}

/// `ceil(digits × 2^binary × 10^shift)` in magnitude, or None on overflow.
fn scaled_up(m: &Mantissa, binary: u32, shift: i32) -> Option<u128> {
    let base = m.digits.checked_mul(1u128.checked_shl(binary)?)?;
    if shift >= 0 {
        let exact = base.checked_mul(10u128.checked_pow(shift.unsigned_abs())?)?;
        return if m.inexact {
            exact.checked_add(1)
        } else {
            Some(exact)
        };
    }
    let Some(divisor) = 10u128.checked_pow(shift.unsigned_abs()) else {
        return Some(u128::from(base != 0 || m.inexact));
    };
    let rounds_up = base % divisor != 0 || m.inexact;
    Some(base / divisor + u128::from(rounds_up))
}

impl Quantity {
    /// Parses the Kubernetes quantity grammar; the error says what is expected.
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let wrong = || format!("invalid quantity {text:?}: {EXPECTED}");
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let number_len = unsigned
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let (number, suffix) = unsigned.split_at(number_len);
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        if frac_part.contains('.') || int_part.len() + frac_part.len() == 0 {
            return Err(wrong());
        }
        let scale = suffix_scale(suffix).ok_or_else(wrong)?;
        let m = mantissa(int_part, frac_part);
        let magnitude = scaled_up(&m, scale.binary, m.exponent + scale.decimal + 3)
            .and_then(|v| i128::try_from(v).ok())
            .ok_or_else(|| format!("invalid quantity {text:?}: too large"))?;
        Ok(Quantity {
            milli: if negative { -magnitude } else { magnitude },
        })
    }

    pub fn from_milli(milli: i128) -> Quantity {
        Quantity { milli }
    }

    pub fn milli(self) -> i128 {
        self.milli
    }

    /// The value in whole units, rounded up (bytes for memory).
    pub fn value(self) -> i128 {
        (self.milli + 999).div_euclid(1000)
    }
}

/// A cpu quantity as Docker NanoCpus (`100m` → 100_000_000).
pub fn cpu_nanos(text: &str) -> Option<i64> {
    let nanos = Quantity::parse(text).ok()?.milli().checked_mul(1_000_000)?;
    i64::try_from(nanos).ok()
}

/// A memory quantity in bytes (`512Mi` → 536_870_912).
pub fn memory_bytes(text: &str) -> Option<i64> {
    i64::try_from(Quantity::parse(text).ok()?.value()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milli(text: &str) -> i128 {
        Quantity::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .milli()
    }

    #[test]
    fn plain_and_decimal_numbers_parse_to_milli_units() {
        assert_eq!(milli("1"), 1000);
        assert_eq!(milli("0"), 0);
        assert_eq!(milli("0.5"), 500);
        assert_eq!(milli(".5"), 500);
        assert_eq!(milli("5."), 5000);
        assert_eq!(milli("+2"), 2000);
        assert_eq!(milli("-2"), -2000);
        assert_eq!(milli("007"), 7000);
        assert_eq!(milli("0.001"), 1);
    }

    #[test]
    fn decimal_si_suffixes_scale_by_powers_of_ten() {
        assert_eq!(milli("100m"), 100);
        assert_eq!(milli("1k"), 1_000_000);
        assert_eq!(milli("1M"), 1_000_000_000);
        assert_eq!(milli("129M"), 129_000_000_000);
        assert_eq!(milli("1G"), 10i128.pow(12));
        assert_eq!(milli("1T"), 10i128.pow(15));
        assert_eq!(milli("1P"), 10i128.pow(18));
        assert_eq!(milli("1E"), 10i128.pow(21));
        assert_eq!(milli("1000u"), 1);
        assert_eq!(milli("1000000n"), 1);
    }

    #[test]
    fn binary_suffixes_scale_by_powers_of_two() {
        assert_eq!(milli("1Ki"), 1024 * 1000);
        assert_eq!(milli("128Mi"), 134_217_728 * 1000);
        assert_eq!(milli("1.5Gi"), 1_610_612_736 * 1000);
        assert_eq!(milli("1Ti"), (1i128 << 40) * 1000);
        assert_eq!(milli("1Pi"), (1i128 << 50) * 1000);
        assert_eq!(milli("1Ei"), (1i128 << 60) * 1000);
    }

    #[test]
    fn decimal_exponents_scale_both_ways() {
        assert_eq!(milli("1e3"), 1_000_000);
        assert_eq!(milli("1E3"), 1_000_000);
        assert_eq!(milli("1e+3"), 1_000_000);
        assert_eq!(milli("5E-2"), 50);
        assert_eq!(milli("12e-3"), 12);
    }

    #[test]
    fn precision_below_a_milli_rounds_up() {
        assert_eq!(milli("1n"), 1);
        assert_eq!(milli("1u"), 1);
        assert_eq!(milli("0.0001"), 1);
        assert_eq!(milli("1500u"), 2);
        assert_eq!(milli("-1n"), -1);
        assert_eq!(milli("0.1Ki"), 102_400);
        assert_eq!(milli("1.0000000000000000000000001"), 1001);
    }

    #[test]
    fn malformed_quantities_are_rejected_with_the_expected_grammar() {
        for bad in [
            "", "abc", "1Gb", "1 Gi", " 1", "1 ", "--1", "+-1", "-", ".", "1.1.1", "1K", "1mi",
            "1e", "1e-", "1i", "Gi", "0x10", "1Gi1", "1e3.5", "1,5",
        ] {
            let err = Quantity::parse(bad).unwrap_err();
            assert!(err.contains("quantities must match"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn absurdly_large_quantities_are_rejected_not_wrapped() {
        assert!(Quantity::parse("1e9999").unwrap_err().contains("too large"));
        assert!(Quantity::parse("999999999999999999999999999999999999999999Ei").is_err());
    }

    #[test]
    fn whole_values_round_up_and_docker_units_follow() {
        assert_eq!(Quantity::parse("1500m").unwrap().value(), 2);
        assert_eq!(Quantity::parse("-1500m").unwrap().value(), -1);
        assert_eq!(cpu_nanos("100m"), Some(100_000_000));
        assert_eq!(cpu_nanos("0.5"), Some(500_000_000));
        assert_eq!(cpu_nanos("2"), Some(2_000_000_000));
        assert_eq!(memory_bytes("512Mi"), Some(536_870_912));
        assert_eq!(memory_bytes("1G"), Some(1_000_000_000));
        assert_eq!(memory_bytes("1Gb"), None);
        assert_eq!(memory_bytes("8Ei"), None, "past i64: refused, not wrapped");
        assert_eq!(cpu_nanos("10G"), None, "past i64: refused, not wrapped");
    }
}
