//! The console's views by name, in tab order. The state ([`crate::app`]),
//! the key table ([`crate::keys`]) and the layout ([`crate::layout`]) all
//! name them, so they live on their own; how each is drawn is in
//! [`crate::views`].

/// The screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    Overview,
    Sessions,
    Journey,
    Heatmap,
    Pages,
    Live,
    /// The most common paths from (or to) a page.
    Paths,
    /// Ordered steps and the sessions that reach each.
    Funnel,
}

impl View {
    pub const ALL: [View; 8] = [
        Self::Overview,
        Self::Sessions,
        Self::Journey,
        Self::Heatmap,
        Self::Pages,
        Self::Live,
        Self::Paths,
        Self::Funnel,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
            Self::Sessions => "Sessions",
            Self::Journey => "Journey",
            Self::Heatmap => "Heatmap",
            Self::Pages => "Pages",
            Self::Live => "Live",
            Self::Paths => "Paths",
            Self::Funnel => "Funnel",
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }

    /// The view `by` tabs away, wrapping around.
    pub fn step(self, by: isize) -> Self {
        let n = Self::ALL.len() as isize;
        Self::ALL[(self.index() as isize + by).rem_euclid(n) as usize]
    }
}
