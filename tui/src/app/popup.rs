//! The popups over the view — the key help, the filter bar, the text
//! prompts and the saved views' list and question — and what their keys do
//! (the saved views' in `saved`).
//!
//! A popup takes every key while it is open, before the key table does. Page
//! searches apply as they are typed, so the list narrows under the prompt;
//! Esc puts back what was there before.

use super::{App, View};
use crate::filters::{Field, Range};
use crate::keys;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use shared::page_key::PagePattern;
use shared::store::query::SessionRef;

/// Characters a prompt takes at most.
const PROMPT_MAX_CHARS: usize = 200;

/// What a text prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptFor {
    Search(View),
    Range,
    Field(Field),
    /// The name to save the current view under.
    SaveView,
    /// A funnel step to add.
    FunnelStep,
    /// The funnel's time limit.
    Within,
    /// The range figures are compared with.
    CompareRange,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub purpose: PromptFor,
    pub input: String,
    pub error: Option<String>,
    /// What Esc puts back, for prompts that apply as they are typed.
    pub before: Option<String>,
}

impl Prompt {
    pub fn title(&self) -> String {
        match self.purpose {
            PromptFor::Search(View::Sessions) => "open session id".into(),
            PromptFor::Search(View::Paths) => {
                "paths start at (page pattern: /path, *, **; empty = the entry page)".into()
            }
            PromptFor::FunnelStep => "add a step: page:PATTERN or event:NAME".into(),
            PromptFor::Within => {
                "from the first step to the last within (30m, 2h; empty = the session)".into()
            }
            PromptFor::Search(_) => "page pattern (/path, *, **; text = contains)".into(),
            PromptFor::Range => "time range (90m, 12h, 3d, all, 2025-01-01..2025-01-31)".into(),
            PromptFor::CompareRange => {
                "compare with (7d, 2025-01-01..2025-01-31; empty = the previous period)".into()
            }
            PromptFor::Field(f) => format!("{} (empty clears)", f.name()),
            PromptFor::SaveView => "save this view as (letters, digits, spaces, - _ .)".into(),
        }
    }

    /// A search in `view`, starting from the search applied there.
    pub(super) fn search(view: View, applied: Option<String>) -> Self {
        Self {
            purpose: PromptFor::Search(view),
            before: applied.clone(),
            input: applied.unwrap_or_default(),
            error: None,
        }
    }

    /// A custom time range, typed from scratch.
    pub(super) fn range() -> Self {
        Self::new(PromptFor::Range)
    }

    /// An empty prompt for `purpose`.
    pub(super) fn new(purpose: PromptFor) -> Self {
        Self {
            purpose,
            input: String::new(),
            error: None,
            before: None,
        }
    }
}

/// A popup over the view. `SavedViews` lists the saved views to pick one to
/// open; `Overwrite` asks whether to replace the saved view `name`.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    None,
    Help { scroll: u16 },
    Filters { field: usize },
    Prompt(Prompt),
    SavedViews { selected: usize },
    Overwrite { name: String },
}

/// A typed search as a page pattern: `/path`, `host/path` and patterns with
/// `*` are used as they are; other text matches page keys containing it.
pub fn search_pattern(input: &str) -> PagePattern {
    let input = input.trim();
    if input.contains('/') || input.contains('*') {
        PagePattern::new(input)
    } else {
        PagePattern::new(&format!("**{input}**"))
    }
}

impl App {
    /// Gives `key` to the open popup.
    pub(super) fn popup_key(&mut self, key: KeyEvent) {
        let popup = std::mem::replace(&mut self.popup, Popup::None);
        self.popup = match popup {
            Popup::None => Popup::None,
            Popup::Help { scroll } => self.help_key(scroll, key),
            Popup::Filters { field } => self.filters_key(field, key),
            Popup::Prompt(prompt) => self.prompt_key(prompt, key),
            Popup::SavedViews { selected } => self.views_list_key(selected, key),
            Popup::Overwrite { name } => self.overwrite_key(name, key),
        };
    }

    /// j/k scroll the help; q quits; any other key closes it.
    fn help_key(&mut self, scroll: u16, key: KeyEvent) -> Popup {
        match key.code {
            KeyCode::Char('q') if key.modifiers.is_empty() => {
                self.quit = true;
                Popup::None
            }
            KeyCode::Char('j') | KeyCode::Down => Popup::Help {
                scroll: scroll.saturating_add(1).min(keys::BINDINGS.len() as u16),
            },
            KeyCode::Char('k') | KeyCode::Up => Popup::Help {
                scroll: scroll.saturating_sub(1),
            },
            _ => Popup::None,
        }
    }

    fn filters_key(&mut self, field: usize, key: KeyEvent) -> Popup {
        let n = Field::ALL.len();
        let current = Field::ALL[field.min(n - 1)];
        match key.code {
            KeyCode::Esc | KeyCode::Char('f') | KeyCode::Char('q') => Popup::None,
            KeyCode::Char('j') | KeyCode::Down | KeyCode::Tab => Popup::Filters {
                field: (field + 1) % n,
            },
            KeyCode::Char('k') | KeyCode::Up | KeyCode::BackTab => Popup::Filters {
                field: (field + n - 1) % n,
            },
            KeyCode::Char('x') | KeyCode::Delete | KeyCode::Backspace => {
                current.clear(&mut self.filter);
                self.filter_changed();
                Popup::Filters { field }
            }
            KeyCode::Enter | KeyCode::Char(' ') if current.cycles() => {
                current.cycle(&mut self.filter);
                self.filter_changed();
                Popup::Filters { field }
            }
            KeyCode::Enter | KeyCode::Char(' ') => Popup::Prompt(Prompt {
                purpose: PromptFor::Field(current),
                input: current
                    .value(&self.filter)
                    .map(|v| v.trim_start_matches('≥').to_owned())
                    .unwrap_or_default(),
                error: None,
                before: None,
            }),
            _ => Popup::Filters { field },
        }
    }

    fn prompt_key(&mut self, mut prompt: Prompt, key: KeyEvent) -> Popup {
        let typed_before = prompt.input.clone();
        let popup = self.prompt_edit(prompt.clone(), key);
        // Page searches narrow the list as they are typed; Esc puts back
        // what was there before.
        if let PromptFor::Search(view @ (View::Heatmap | View::Pages)) = prompt.purpose {
            match &popup {
                Popup::Prompt(open) if open.input != typed_before => {
                    self.apply_page_search(view, open.input.trim());
                }
                Popup::None if key.code == KeyCode::Esc => {
                    let before = prompt.before.take().unwrap_or_default();
                    if before != typed_before {
                        self.apply_page_search(view, &before);
                    }
                }
                _ => {}
            }
        }
        popup
    }

    /// Shows the page list (or the heatmap's picker) narrowed to `input`.
    fn apply_page_search(&mut self, view: View, input: &str) {
        let search = (!input.is_empty()).then(|| input.to_owned());
        let (mut cx, views) = self.parts();
        match view {
            View::Heatmap => views.heat.search_for(search, &mut cx),
            _ => views.pages.search_for(search, &mut cx),
        }
    }

    fn prompt_edit(&mut self, mut prompt: Prompt, key: KeyEvent) -> Popup {
        match key.code {
            KeyCode::Esc => after_prompt(prompt.purpose),
            KeyCode::Enter if prompt.purpose == PromptFor::SaveView => {
                self.submit_save_name(prompt)
            }
            KeyCode::Enter => match self.submit(&prompt) {
                Ok(()) => match prompt.purpose {
                    PromptFor::Field(_) => after_prompt(prompt.purpose),
                    _ => Popup::None,
                },
                Err(error) => {
                    prompt.error = Some(error);
                    Popup::Prompt(prompt)
                }
            },
            KeyCode::Backspace => {
                prompt.input.pop();
                prompt.error = None;
                Popup::Prompt(prompt)
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                prompt.input.clear();
                Popup::Prompt(prompt)
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                if prompt.input.chars().count() < PROMPT_MAX_CHARS
                    && !shared::sanitize::is_forbidden(c)
                {
                    prompt.input.push(c);
                }
                prompt.error = None;
                Popup::Prompt(prompt)
            }
            _ => Popup::Prompt(prompt),
        }
    }

    /// Applies what was typed; an error keeps the prompt open with it.
    fn submit(&mut self, prompt: &Prompt) -> Result<(), String> {
        let input = prompt.input.trim();
        match prompt.purpose {
            PromptFor::Range => {
                self.range = Range::parse(input).ok_or("not a time range")?;
                self.filter_changed();
            }
            PromptFor::CompareRange => {
                let chosen = match input {
                    "" => None,
                    text => Some(Range::parse(text).ok_or("not a time range")?),
                };
                self.compare_with(chosen);
            }
            PromptFor::Field(field) => {
                field.set(&mut self.filter, input)?;
                self.filter_changed();
            }
            PromptFor::Search(View::Sessions) => {
                if input.is_empty() {
                    return Err("type a session id".into());
                }
                self.open_session(SessionRef {
                    site: self.filter.site.clone(),
                    session_id: input.to_owned(),
                });
            }
            PromptFor::Search(View::Paths) => {
                let start = (!input.is_empty()).then(|| input.to_owned());
                let (mut cx, views) = self.parts();
                views.paths.set_start(start, &mut cx);
            }
            PromptFor::FunnelStep => {
                let (mut cx, views) = self.parts();
                views.funnel.add(input, &mut cx)?;
            }
            PromptFor::Within => {
                let (mut cx, views) = self.parts();
                views.funnel.set_within(input, &mut cx)?;
            }
            PromptFor::Search(view @ (View::Heatmap | View::Pages)) => {
                // Already applied while typing; Enter keeps it.
                let applied = match view {
                    View::Heatmap => self.heat.search.as_deref(),
                    _ => self.pages.search.as_deref(),
                };
                if applied.unwrap_or_default() != input {
                    self.apply_page_search(view, input);
                }
            }
            // Names are taken by `submit_save_name`, which may ask first.
            PromptFor::Search(_) | PromptFor::SaveView => {}
        }
        Ok(())
    }
}

/// Where a closed prompt returns to: a filter value's prompt to the filter
/// bar, any other to the view.
fn after_prompt(purpose: PromptFor) -> Popup {
    match purpose {
        PromptFor::Field(f) => Popup::Filters {
            field: Field::ALL.iter().position(|x| *x == f).unwrap_or(0),
        },
        _ => Popup::None,
    }
}
