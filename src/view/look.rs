//! How the screen looks: a theme's colours and a set of glyphs (Unicode or ASCII).

use super::glyphs::{self, Glyphs};
use super::theme::{Theme, ThemeError};

/// How the screen looks: colours and glyphs.
#[derive(Clone, Debug)]
pub struct Look {
    pub theme: Theme,
    pub glyphs: Glyphs,
}

impl Look {
    /// The theme named (built in) or at a path, with colour taken out when `no_color`
    /// (`NO_COLOR` is set), and ASCII glyphs when `ascii`.
    ///
    /// # Errors
    /// A theme that cannot be loaded (file, key and value named).
    pub fn load(theme: &str, ascii: bool, no_color: bool) -> Result<Look, ThemeError> {
        let theme = Theme::load(theme)?;
        Ok(Look {
            theme: if no_color {
                theme.without_color()
            } else {
                theme
            },
            glyphs: if ascii {
                glyphs::ASCII
            } else {
                glyphs::UNICODE
            },
        })
    }
}
