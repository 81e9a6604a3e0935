//! Saved views in the console: the list (`v`) and what its keys do, the name
//! prompt and the overwrite question (`V`), the console's state as a
//! [`SavedView`] and a saved view put back in place.
//!
//! The views file is read and written by [`Job`]s: `update` queues them, the
//! runtime runs them ([`App::take_jobs`]) and hands back what they found as
//! [`Msg::Views`](super::Msg::Views). Opening a view replaces the filters,
//! the range, the lists' sorts, the heatmap's page and segment, the funnel's
//! steps and the paths' start with the view's; what the entry leaves out is
//! the console's default, except the range, which stays.

use super::popup::{Popup, Prompt, PromptFor};
use super::{App, PagesState, Segment, SessionsState, View};
use crate::saved_views::{check_name, Book, Done, Job, SavedView};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use shared::store::query::{TimeRange, WidthSegment};

/// The saved views as the console knows them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SavedState {
    /// The file as last read; `None` when there is no place for one (no home
    /// directory), and saving is off.
    pub book: Option<Book>,
    /// The view last opened or saved: the name prompt starts from it.
    pub current: Option<String>,
    /// File work for the runtime.
    jobs: Vec<Job>,
}

/// A one-line message in the footer, until the next key.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

impl Status {
    fn info(text: String) -> Option<Self> {
        Some(Self { text, error: false })
    }

    fn error(text: String) -> Option<Self> {
        Some(Self { text, error: true })
    }
}

impl App {
    /// Takes the queued file work.
    pub fn take_jobs(&mut self) -> Vec<Job> {
        std::mem::take(&mut self.saved.jobs)
    }

    /// Uses `book` as the saved views (read at start); a problem in it is
    /// shown in the footer, and the console carries on without the views it
    /// could not read.
    pub fn set_views(&mut self, book: Option<Book>) {
        if let Some(problem) = book.as_ref().and_then(Book::problem_summary) {
            self.status = Status::error(problem);
        }
        self.saved.book = book;
    }

    /// Puts saved view `name` in place without loading anything (the start
    /// does that); returns the view it shows, or `None` if there is no such
    /// view.
    pub fn apply_named(&mut self, name: &str) -> Option<View> {
        let view = self.saved.book.as_ref()?.get(name)?.clone();
        self.apply(&view);
        self.saved.current = Some(name.to_owned());
        Some(view.view)
    }

    /// The console's state as a saved view: the view, range and filters
    /// always; sorts, the heatmap's page and segment, the journey's session,
    /// the funnel's steps and the paths' start where they are not the
    /// default. Chosen sessions (a path's, a funnel step's) are a list of the
    /// moment, not saved.
    pub fn saved_view(&self) -> SavedView {
        let sessions_sort = self.sessions.sort;
        let pages_sort = self.pages.sort;
        let segment = self.heat.segment.0;
        let steps = &self.funnel.steps;
        let funnel_steps =
            (!steps.is_empty()).then(|| steps.iter().map(ToString::to_string).collect());
        let path_start = self.paths.start.clone();
        SavedView {
            view: self.view,
            range: Some(self.range),
            filter: shared::store::query::Filter {
                range: TimeRange::ALL,
                sessions: None,
                ..self.filter.clone()
            },
            sessions_sort: (sessions_sort != SessionsState::default().sort)
                .then_some(sessions_sort),
            pages_sort: (pages_sort != PagesState::default().sort).then_some(pages_sort),
            heatmap_page: self.heat.current.clone(),
            heatmap_segment: (segment != WidthSegment::All).then_some(segment),
            session: match self.view {
                View::Journey => self.journey.target.clone(),
                _ => None,
            },
            funnel_steps,
            path_start,
        }
    }

    /// Replaces the state a saved view holds with `view`'s.
    fn apply(&mut self, view: &SavedView) {
        self.filter = view.filter.clone();
        if let Some(range) = view.range {
            self.range = range;
        }
        self.sessions.sort = view.sessions_sort.unwrap_or(SessionsState::default().sort);
        self.pages.sort = view.pages_sort.unwrap_or(PagesState::default().sort);
        self.heat.segment = Segment(view.heatmap_segment.unwrap_or(WidthSegment::All));
        match &view.heatmap_page {
            Some(page) => self.heat.open(page.clone()),
            None => self.heat.close(),
        }
        if let Some(session) = &view.session {
            self.journey.open(session.clone());
        }
        self.sessions_chip = None;
        self.paths.start = view.path_start.clone();
        self.paths.toggled.clear();
        let bad = self
            .funnel
            .set_steps(view.funnel_steps.as_deref().unwrap_or_default());
        if !bad.is_empty() {
            let bad = crate::text::safe(&bad.join(", "));
            self.status = Status::error(format!("funnel steps left out: {bad}"));
        }
    }

    /// `v`: the list of saved views, read again from the file.
    pub(super) fn open_views_list(&mut self) {
        if let Some(book) = &self.saved.book {
            self.saved.jobs.push(Job::Load(book.path.clone()));
        }
        let selected = self
            .saved
            .current
            .as_deref()
            .and_then(|name| self.entry_index(name))
            .unwrap_or(0);
        self.popup = Popup::SavedViews { selected };
    }

    /// `V`: the name prompt, starting from the view last opened or saved.
    pub(super) fn save_prompt(&mut self) {
        if self.saved.book.is_none() {
            self.status = Status::error(
                "no configuration directory to save views in: set XDG_CONFIG_HOME or \
                 --views-file"
                    .into(),
            );
            return;
        }
        self.popup = Popup::Prompt(Prompt::save_view(self.saved.current.clone()));
    }

    fn entry_index(&self, name: &str) -> Option<usize> {
        let book = self.saved.book.as_ref()?;
        book.entries.iter().position(|(n, _)| n == name)
    }

    fn entry_count(&self) -> usize {
        self.saved.book.as_ref().map_or(0, |b| b.entries.len())
    }

    /// Keys of the list: j/k move, Enter opens, V saves, Esc closes.
    pub(super) fn views_list_key(&mut self, selected: usize, key: KeyEvent) -> Popup {
        let n = self.entry_count();
        match key.code {
            KeyCode::Esc | KeyCode::Char('v' | 'q') => Popup::None,
            KeyCode::Char('j') | KeyCode::Down | KeyCode::Tab => Popup::SavedViews {
                selected: (selected + 1).min(n.saturating_sub(1)),
            },
            KeyCode::Char('k') | KeyCode::Up | KeyCode::BackTab => Popup::SavedViews {
                selected: selected.saturating_sub(1),
            },
            KeyCode::Char('g') | KeyCode::Home => Popup::SavedViews { selected: 0 },
            KeyCode::Char('G') | KeyCode::End => Popup::SavedViews {
                selected: n.saturating_sub(1),
            },
            KeyCode::Enter => {
                let name = self
                    .saved
                    .book
                    .as_ref()
                    .and_then(|b| b.entries.get(selected))
                    .map(|(name, _)| name.clone());
                match name {
                    Some(name) => {
                        self.open_saved(&name);
                        Popup::None
                    }
                    None => Popup::SavedViews { selected },
                }
            }
            KeyCode::Char('V') if self.saved.book.is_some() => {
                Popup::Prompt(Prompt::save_view(self.saved.current.clone()))
            }
            _ => Popup::SavedViews { selected },
        }
    }

    /// Opens saved view `name`: its state replaces the console's, lists start
    /// from the top, and its view is shown and loaded.
    fn open_saved(&mut self, name: &str) {
        let Some(view) = self.apply_named(name) else {
            self.status = Status::error(format!("no saved view {name:?}"));
            return;
        };
        self.reset_lists();
        self.invalidate();
        self.show(view);
        if self.status.is_none() {
            self.status = Status::info(format!("opened view {}", crate::text::safe(name)));
        }
    }

    /// Enter in the name prompt: a bad name keeps the prompt open with why; a
    /// name in use asks before replacing that view; any other is saved.
    pub(super) fn submit_save_name(&mut self, mut prompt: Prompt) -> Popup {
        let name = match check_name(&prompt.input) {
            Ok(name) => name.to_owned(),
            Err(error) => {
                prompt.error = Some(error);
                return Popup::Prompt(prompt);
            }
        };
        if self.entry_index(&name).is_some() {
            return Popup::Overwrite { name };
        }
        self.queue_save(name);
        Popup::None
    }

    /// The overwrite question: y or Enter replaces the view, n or Esc goes
    /// back to the name.
    pub(super) fn overwrite_key(&mut self, name: String, key: KeyEvent) -> Popup {
        match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => {
                self.queue_save(name);
                Popup::None
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => Popup::Prompt(Prompt::save_view(Some(name))),
            _ => Popup::Overwrite { name },
        }
    }

    fn queue_save(&mut self, name: String) {
        let Some(book) = &self.saved.book else {
            return;
        };
        let job = Job::Save {
            path: book.path.clone(),
            name,
            view: Box::new(self.saved_view()),
        };
        self.saved.jobs.push(job);
    }

    /// What a file job found.
    pub(super) fn views_done(&mut self, done: Done) {
        match done {
            Done::Loaded(book) => {
                if let Popup::SavedViews { selected } = &mut self.popup {
                    *selected = (*selected).min(book.entries.len().saturating_sub(1));
                }
                self.saved.book = Some(book);
            }
            Done::Saved { name, result } => match result {
                Ok(book) => {
                    self.status = Status::info(format!(
                        "saved view {} in {}",
                        crate::text::safe(&name),
                        book.path.display()
                    ));
                    self.saved.book = Some(book);
                    self.saved.current = Some(name);
                }
                Err(error) => {
                    self.status = Status::error(format!(
                        "view {} not saved: {error}",
                        crate::text::safe(&name)
                    ));
                }
            },
        }
    }
}

impl Prompt {
    /// The name to save the current view under, starting from `name`.
    pub(super) fn save_view(name: Option<String>) -> Self {
        Self {
            purpose: PromptFor::SaveView,
            input: name.unwrap_or_default(),
            error: None,
            before: None,
        }
    }
}
