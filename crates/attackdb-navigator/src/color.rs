//! Score colours exactly as the Navigator computes them, and aggregate scores.
//!
//! The Navigator (`gradient.ts`) samples the gradient into 100 colours with tinygradient's
//! `rgb(100)` (each pair of neighbouring colours gets a share of the 100 steps, channels
//! interpolated linearly and rounded), then picks sample `round((score - min) / (max - min) * 100)`;
//! scores at or beyond either bound take the end colour. A manual colour wins over the score's.
//! Aggregate scores (`calculateAggregateScore` in `view-model.ts`) combine a technique's score
//! with its sub-techniques' and are rounded to 2 decimals as JavaScript's `toFixed(2)` does.

use crate::model::{AggregateFunction, Gradient, Layer};

/// A colour with 0-255 channels (fractions allowed while interpolating) and alpha 0-1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb {
    /// Red.
    pub r: f64,
    /// Green.
    pub g: f64,
    /// Blue.
    pub b: f64,
    /// Alpha.
    pub a: f64,
}

impl Rgb {
    /// Parses `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa` (the `#` optional) and a few CSS names, as
    /// tinycolor does.
    pub fn parse(text: &str) -> Option<Rgb> {
        let text = text.trim().to_ascii_lowercase();
        let named = match text.as_str() {
            "red" => Some("ff0000"),
            "green" => Some("008000"),
            "blue" => Some("0000ff"),
            "white" => Some("ffffff"),
            "black" => Some("000000"),
            "yellow" => Some("ffff00"),
            "orange" => Some("ffa500"),
            "purple" => Some("800080"),
            "gray" | "grey" => Some("808080"),
            "transparent" => Some("00000000"),
            _ => None,
        };
        let hex = named.unwrap_or_else(|| text.strip_prefix('#').unwrap_or(&text));
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..i + 1], 16).ok().map(f64::from);
        let pair = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok().map(f64::from);
        match hex.len() {
            3 | 4 => Some(Rgb {
                r: digit(0)? * 17.0,
                g: digit(1)? * 17.0,
                b: digit(2)? * 17.0,
                a: if hex.len() == 4 {
                    digit(3)? * 17.0 / 255.0
                } else {
                    1.0
                },
            }),
            6 | 8 => Some(Rgb {
                r: pair(0)?,
                g: pair(2)?,
                b: pair(4)?,
                a: if hex.len() == 8 {
                    pair(6)? / 255.0
                } else {
                    1.0
                },
            }),
            _ => None,
        }
    }

    /// `#rrggbb`, channels rounded as JavaScript's `Math.round` does (alpha ignored, as
    /// tinycolor's `toHexString`).
    pub fn to_hex(self) -> String {
        let channel = |v: f64| js_round(v).clamp(0.0, 255.0) as u8;
        format!(
            "#{:02x}{:02x}{:02x}",
            channel(self.r),
            channel(self.g),
            channel(self.b)
        )
    }

    /// WCAG relative luminance (tinycolor's `getLuminance`).
    pub fn luminance(self) -> f64 {
        let linear = |v: f64| {
            let c = v / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b)
    }

    /// Black or white, whichever reads better on this colour (tinycolor's `mostReadable` over
    /// white and black, which the Navigator uses for cell text).
    pub fn text_color(self) -> &'static str {
        let l = self.luminance();
        let contrast = |other: f64| (l.max(other) + 0.05) / (l.min(other) + 0.05);
        if contrast(1.0) > contrast(0.0) {
            "#ffffff"
        } else {
            "#000000"
        }
    }
}

/// JavaScript's `Math.round`: halves go up.
fn js_round(v: f64) -> f64 {
    (v + 0.5).floor()
}

/// How many of `steps` samples each pair of neighbouring stops gets (tinygradient's
/// `computeSubsteps`, stops evenly spaced).
fn substeps(stops: usize, steps: usize) -> Vec<usize> {
    let segments = stops - 1;
    let mut sub: Vec<usize> = (0..segments)
        .map(|_| {
            let step = (steps as f64 - 1.0) * (1.0 / segments as f64);
            (js_round(step) as usize).max(1)
        })
        .collect();
    let mut total: usize = 1 + sub.iter().sum::<usize>();
    while total != steps {
        if total < steps {
            let min = sub.iter().copied().min().unwrap_or(1);
            if let Some(i) = sub.iter().position(|&s| s == min) {
                sub[i] += 1;
            }
            total += 1;
        } else {
            let max = sub.iter().copied().max().unwrap_or(1);
            if let Some(i) = sub.iter().position(|&s| s == max) {
                sub[i] -= 1;
            }
            total -= 1;
        }
    }
    sub
}

/// The gradient's colours sampled as the Navigator does (`tinygradient(colors).rgb(steps)`).
/// Colours that do not parse count as black; fewer than two colours give what there is.
pub fn sample_gradient(colors: &[String], steps: usize) -> Vec<Rgb> {
    let stops: Vec<Rgb> = colors
        .iter()
        .map(|c| {
            Rgb::parse(c).unwrap_or(Rgb {
                r: 0.0,
                g: 0.0,
                b: 0.0,
                a: 1.0,
            })
        })
        .collect();
    if stops.len() < 2 || steps < stops.len() {
        return stops;
    }
    let mut out = Vec::with_capacity(steps);
    for (pair, &n) in stops.windows(2).zip(&substeps(stops.len(), steps)) {
        let (start, end) = (pair[0], pair[1]);
        out.push(start);
        let step = |a: f64, b: f64| (b - a) / n as f64;
        for i in 1..n {
            let i = i as f64;
            out.push(Rgb {
                r: (start.r + step(start.r, end.r) * i) % 256.0,
                g: (start.g + step(start.g, end.g) * i) % 256.0,
                b: (start.b + step(start.b, end.b) * i) % 256.0,
                a: start.a + step(start.a, end.a) * i,
            });
        }
    }
    if let Some(&last) = stops.last() {
        out.push(last);
    }
    out
}

/// A gradient ready to colour scores.
#[derive(Debug, Clone)]
pub struct ScoreColors {
    samples: Vec<Rgb>,
    min: f64,
    max: f64,
}

impl ScoreColors {
    /// Samples `gradient` as the Navigator does.
    pub fn new(gradient: &Gradient) -> ScoreColors {
        ScoreColors {
            samples: sample_gradient(&gradient.colors, 100),
            min: gradient.min_value,
            max: gradient.max_value,
        }
    }

    /// The colour of `score` (`getHexColor`): clamped to the ends at or beyond the bounds, else
    /// sample `round((score - min) / (max - min) * 100)`. (Where that index is 100, which the
    /// Navigator would read past its 100 samples, the last colour is used.)
    pub fn color(&self, score: f64) -> Option<String> {
        let first = *self.samples.first()?;
        let last = *self.samples.last()?;
        if score >= self.max {
            return Some(last.to_hex());
        }
        if score <= self.min {
            return Some(first.to_hex());
        }
        let index = js_round((score - self.min) / (self.max - self.min) * 100.0);
        let index = (index.max(0.0) as usize).min(self.samples.len() - 1);
        Some(self.samples[index].to_hex())
    }
}

/// The colour the Navigator paints an annotation with: its manual colour when it has a non-empty
/// one, else its score's colour on `colors`, else none.
pub fn annotation_color(
    manual: Option<&str>,
    score: Option<f64>,
    colors: &ScoreColors,
) -> Option<String> {
    match manual {
        Some(c) if !c.trim().is_empty() => Some(c.to_string()),
        _ => score.and_then(|s| colors.color(s)),
    }
}

/// How aggregate scores are computed (the layer's `layout` options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AggregateConfig {
    /// `aggregateFunction`.
    pub function: AggregateFunction,
    /// `countUnscored`: for `average`, divide by every sub-technique plus the technique.
    pub count_unscored: bool,
}

impl AggregateConfig {
    /// The layer's aggregate settings (Navigator defaults: average, not counting unscored).
    pub fn of(layer: &Layer) -> AggregateConfig {
        let layout = layer.layout.as_ref();
        AggregateConfig {
            function: layout
                .and_then(|l| l.aggregate_function)
                .unwrap_or_default(),
            count_unscored: layout.and_then(|l| l.count_unscored).unwrap_or(false),
        }
    }
}

/// The aggregate score of a technique with score `technique` and sub-techniques with scores
/// `subtechniques` (one entry per sub-technique of the technique, `None` when unscored), as the
/// Navigator computes it, rounded to 2 decimals. `None` when nothing is scored.
///
/// As in the Navigator, the technique's own score takes part as 0 when it is unscored but a
/// sub-technique is scored (so `min` over positive sub-technique scores is then 0).
pub fn aggregate_score(
    technique: Option<f64>,
    subtechniques: &[Option<f64>],
    config: AggregateConfig,
) -> Option<f64> {
    let mut scores = vec![technique.unwrap_or(0.0)];
    let mut valid = usize::from(technique.is_some());
    for score in subtechniques.iter().flatten() {
        valid += 1;
        scores.push(*score);
    }
    if valid == 0 {
        return None;
    }
    let value = match config.function {
        AggregateFunction::Min => scores.iter().copied().fold(f64::INFINITY, f64::min),
        AggregateFunction::Max => scores.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        AggregateFunction::Sum => scores.iter().sum(),
        AggregateFunction::Average => {
            let divisor = if config.count_unscored {
                subtechniques.len() + 1
            } else {
                valid
            };
            scores.iter().sum::<f64>() / divisor as f64
        }
    };
    Some(to_fixed_2(value))
}

/// JavaScript's `Number(x.toFixed(2))`: rounded to 2 decimals on the exact binary value, halves
/// away from zero.
pub fn to_fixed_2(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let exact = format!("{:.40}", x.abs());
    let (whole, fraction) = exact.split_once('.').unwrap_or((&exact, ""));
    let digits: Vec<u8> = fraction.bytes().collect();
    let kept = format!(
        "{whole}.{}{}",
        char::from(*digits.first().unwrap_or(&b'0')),
        char::from(*digits.get(1).unwrap_or(&b'0'))
    );
    let mut value: f64 = kept.parse().unwrap_or(0.0);
    if digits.get(2).is_some_and(|&d| d >= b'5') {
        value = ((value * 100.0).round() + 1.0) / 100.0;
    }
    if x < 0.0 {
        -value
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(colors: &[&str], min: f64, max: f64) -> ScoreColors {
        ScoreColors::new(&Gradient {
            colors: colors.iter().map(|c| c.to_string()).collect(),
            min_value: min,
            max_value: max,
            extra: Default::default(),
        })
    }

    #[test]
    fn colours_parse() {
        assert_eq!(
            Rgb::parse("#ff6666").map(Rgb::to_hex).as_deref(),
            Some("#ff6666")
        );
        assert_eq!(
            Rgb::parse("#ff6666ff").map(Rgb::to_hex).as_deref(),
            Some("#ff6666")
        );
        assert_eq!(
            Rgb::parse("#f60").map(Rgb::to_hex).as_deref(),
            Some("#ff6600")
        );
        assert_eq!(
            Rgb::parse("red").map(Rgb::to_hex).as_deref(),
            Some("#ff0000")
        );
        assert_eq!(Rgb::parse("#ffffff00").map(|c| c.a), Some(0.0));
        assert!(Rgb::parse("#12345").is_none());
        assert!(Rgb::parse("#gggggg").is_none());
        assert!(Rgb::parse("").is_none());
    }

    #[test]
    fn substeps_split_like_tinygradient() {
        assert_eq!(substeps(2, 100), vec![99]);
        // 3 stops: round(49.5) = 50 twice = 101 samples; the first largest loses one
        assert_eq!(substeps(3, 100), vec![49, 50]);
        assert_eq!(substeps(4, 100), vec![33, 33, 33]);
    }

    #[test]
    fn default_gradient_on_chosen_points() {
        let colors = gradient(&["#ff6666ff", "#ffe766ff", "#8ec843ff"], 0.0, 100.0);
        assert_eq!(
            sample_gradient(&["#ff6666".into(), "#ffe766".into(), "#8ec843".into()], 100).len(),
            100
        );
        assert_eq!(colors.color(0.0).as_deref(), Some("#ff6666"));
        assert_eq!(colors.color(-5.0).as_deref(), Some("#ff6666"));
        assert_eq!(colors.color(100.0).as_deref(), Some("#8ec843"));
        assert_eq!(colors.color(1e9).as_deref(), Some("#8ec843"));
        // index 49 is the middle stop itself
        assert_eq!(colors.color(49.0).as_deref(), Some("#ffe766"));
        // index 50: one step (of 50) from yellow towards green: 255-2.26, 231-0.62, 102-0.7
        assert_eq!(colors.color(50.0).as_deref(), Some("#fde665"));
        // index 25: step 25 of 49 from red to yellow: g = 102 + 129/49*25 = 167.8
        assert_eq!(colors.color(25.0).as_deref(), Some("#ffa866"));
        // index 99.6 rounds to 100: past the samples, the last colour
        assert_eq!(colors.color(99.6).as_deref(), Some("#8ec843"));
    }

    #[test]
    fn two_colour_gradient_with_other_bounds() {
        let colors = gradient(&["#ffffff", "#66b1ff"], 10.0, 20.0);
        // 15 -> index 50 of 99 steps from white to blue
        // r: 255 - 153/99*50 = 177.73 -> b2; g: 255 - 78/99*50 = 215.6 -> d8
        assert_eq!(colors.color(15.0).as_deref(), Some("#b2d8ff"));
        assert_eq!(colors.color(10.0).as_deref(), Some("#ffffff"));
        assert_eq!(colors.color(20.0).as_deref(), Some("#66b1ff"));
    }

    #[test]
    fn manual_colour_wins() {
        let colors = gradient(&["#ff6666", "#8ec843"], 0.0, 100.0);
        assert_eq!(
            annotation_color(Some("#123456"), Some(100.0), &colors).as_deref(),
            Some("#123456")
        );
        assert_eq!(
            annotation_color(Some(""), Some(100.0), &colors).as_deref(),
            Some("#8ec843")
        );
        assert_eq!(annotation_color(None, None, &colors), None);
    }

    #[test]
    fn aggregates_as_the_navigator() {
        let avg = AggregateConfig::default();
        let counting = AggregateConfig {
            count_unscored: true,
            ..avg
        };
        let f = |function| AggregateConfig {
            function,
            count_unscored: false,
        };
        let subs = [Some(10.0), None, Some(20.0)];
        assert_eq!(aggregate_score(Some(30.0), &subs, avg), Some(20.0));
        assert_eq!(aggregate_score(Some(30.0), &subs, counting), Some(15.0));
        assert_eq!(aggregate_score(None, &subs, avg), Some(15.0));
        assert_eq!(aggregate_score(None, &subs, counting), Some(7.5));
        assert_eq!(
            aggregate_score(Some(30.0), &subs, f(AggregateFunction::Min)),
            Some(10.0)
        );
        // the unscored technique takes part as 0
        assert_eq!(
            aggregate_score(None, &subs, f(AggregateFunction::Min)),
            Some(0.0)
        );
        assert_eq!(
            aggregate_score(None, &subs, f(AggregateFunction::Max)),
            Some(20.0)
        );
        assert_eq!(
            aggregate_score(Some(1.0), &subs, f(AggregateFunction::Sum)),
            Some(31.0)
        );
        assert_eq!(aggregate_score(None, &[None, None], avg), None);
        // 10 / 3 = 3.333.. -> 3.33
        assert_eq!(
            aggregate_score(Some(10.0), &[None, None], counting),
            Some(3.33)
        );
    }

    #[test]
    fn to_fixed_rounds_like_javascript() {
        assert_eq!(to_fixed_2(0.125), 0.13);
        assert_eq!(to_fixed_2(1.005), 1.0); // 1.005 is 1.00499999... in binary
        assert_eq!(to_fixed_2(2.0 / 3.0), 0.67);
        assert_eq!(to_fixed_2(-0.125), -0.13);
        assert_eq!(to_fixed_2(7.0), 7.0);
    }

    #[test]
    fn readable_text() {
        assert_eq!(Rgb::parse("#000000").map(Rgb::text_color), Some("#ffffff"));
        assert_eq!(Rgb::parse("#ffe766").map(Rgb::text_color), Some("#000000"));
    }
}
