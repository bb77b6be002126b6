//! Experiment from exposures and goal events. A user belongs to the variant of their first
//! exposure in the range; they converted when they did the goal event after that exposure,
//! within the range. Each variant is compared with the control: the difference of conversion
//! rates with a two-sided confidence interval (normal approximation, unpooled standard error —
//! a fixed-horizon test, not the sequential test of the product reel follows).

use std::collections::HashMap;

use super::Hit;
use super::model::{DataPoint, Experiment};
use super::values::PropRef;
use super::wire::{ExperimentAnswer, VariantResult};

/// The variant of an exposure without the variant property.
pub const NO_VARIANT: &str = "(none)";

#[derive(Default)]
pub struct ExperimentBuilder {
    /// Per user: first exposure (time, variant, the exposure's hit).
    exposures: HashMap<i64, (Hit, String)>,
    /// Per user: goal events.
    goals: HashMap<i64, Vec<Hit>>,
}

impl ExperimentBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// An exposure event in the range with its variant property's value.
    pub fn add_exposure(&mut self, hit: Hit, variant: Option<PropRef<'_>>) {
        let variant = variant.map_or_else(|| NO_VARIANT.to_owned(), |v| v.label());
        match self.exposures.get(&hit.user) {
            Some((first, _)) if first.time_ms <= hit.time_ms => {}
            _ => {
                self.exposures.insert(hit.user, (hit, variant));
            }
        }
    }

    /// A goal event in the range.
    pub fn add_goal(&mut self, hit: Hit) {
        self.goals.entry(hit.user).or_default().push(hit);
    }

    /// The first goal event after the user's exposure, if any.
    fn conversion(&self, user: i64, exposure: &Hit) -> Option<Hit> {
        self.goals
            .get(&user)?
            .iter()
            .filter(|g| g.time_ms >= exposure.time_ms)
            .min_by_key(|g| g.time_ms)
            .copied()
    }

    pub fn finish(&self, chart: &Experiment) -> ExperimentAnswer {
        let mut counts: HashMap<&str, (u64, u64)> = HashMap::new();
        for (user, (hit, variant)) in &self.exposures {
            let c = counts.entry(variant.as_str()).or_default();
            c.0 += 1;
            if self.conversion(*user, hit).is_some() {
                c.1 += 1;
            }
        }
        let mut names: Vec<&str> = counts.keys().copied().collect();
        names.sort_unstable();
        let control = chart
            .control
            .as_deref()
            .filter(|c| counts.contains_key(c))
            .or_else(|| names.iter().copied().find(|n| *n == "control"))
            .or_else(|| names.first().copied())
            .map(str::to_owned);
        let rate = |(n, c): (u64, u64)| if n == 0 { 0.0 } else { c as f64 / n as f64 };
        let z = normal_quantile(1.0 - (1.0 - chart.confidence) / 2.0);
        let base = control.as_deref().map(|c| counts[c]);
        let variants = names
            .iter()
            .map(|name| {
                let (exposed, converted) = counts[name];
                let p = rate((exposed, converted));
                let mut v = VariantResult {
                    variant: (*name).to_owned(),
                    exposed,
                    converted,
                    conversion: p,
                    difference: None,
                    ci_low: None,
                    ci_high: None,
                    lift: None,
                };
                if let Some(base) = base.filter(|_| Some(*name) != control.as_deref()) {
                    let p0 = rate(base);
                    let d = p - p0;
                    let se =
                        (p * (1.0 - p) / exposed as f64 + p0 * (1.0 - p0) / base.0 as f64).sqrt();
                    v.difference = Some(d);
                    v.ci_low = Some(d - z * se);
                    v.ci_high = Some(d + z * se);
                    v.lift = (p0 > 0.0).then(|| d / p0);
                }
                v
            })
            .collect();
        ExperimentAnswer {
            control,
            confidence: chart.confidence,
            variants,
        }
    }

    /// The events behind a variant (all exposed, or those who converted or did not): each
    /// user's exposure, and their conversion when they converted.
    pub fn hits_behind(&self, point: &DataPoint) -> Vec<Hit> {
        let DataPoint::Experiment { variant, converted } = point else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        for (user, (hit, v)) in &self.exposures {
            if variant.as_ref().is_some_and(|want| want != v) {
                continue;
            }
            let conversion = self.conversion(*user, hit);
            if converted.is_some_and(|want| want != conversion.is_some()) {
                continue;
            }
            hits.push(*hit);
            hits.extend(conversion);
        }
        hits
    }
}

/// The standard normal distribution's quantile (Acklam's rational approximation, relative
/// error below 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let low = 0.024_25;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}
