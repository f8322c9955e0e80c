//! Kubernetes resource quantities (`100m`, `0.5`, `512Mi`, `1Gi`, `1e3`).

/// A parsed quantity, exact to the milli-unit (rounded up, as Kubernetes does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity {
    milli: i128,
}

impl Quantity {
    /// Parses the Kubernetes quantity grammar; the error says what is expected.
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let _ = text;
        todo!()
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
    Quantity::parse(text)
        .ok()
        .map(|q| (q.milli() * 1_000_000) as i64)
}

/// A memory quantity in bytes (`512Mi` → 536_870_912).
pub fn memory_bytes(text: &str) -> Option<i64> {
    Quantity::parse(text).ok().map(|q| q.value() as i64)
}
