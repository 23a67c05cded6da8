//! Parsing and validation of the `#[tandem::main(...)]` / `#[tandem::test(...)]` arguments.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitBool, LitInt, LitStr, Meta, MetaNameValue, Path, Token};

const VALID_KEYS: &str = "`flavor`, `worker_threads`, `start_paused`, `name`, `crate`";

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Main => "tandem::main",
            Kind::Test => "tandem::test",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    MultiThread,
    CurrentThread,
    /// A `LocalRuntime` (a current-thread runtime that also runs `!Send` tasks): the body may
    /// `spawn_local`.
    Local,
}

/// The validated arguments of one macro invocation.
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    /// Always `>= 1`; only set for the multi-thread flavor.
    pub(crate) worker_threads: Option<LitInt>,
    /// Only set for the current-thread flavor.
    pub(crate) start_paused: Option<LitBool>,
    /// `name = "..."`: the runtime's name (`Builder::name`), never empty.
    pub(crate) name: Option<LitStr>,
    /// `crate = "..."`; `None` means "find the `tandem` dependency".
    pub(crate) krate: Option<Path>,
}

impl Config {
    /// What a bare `#[tandem::main]` / `#[tandem::test]` means.
    pub(crate) fn default_for(kind: Kind) -> Config {
        Config {
            flavor: match kind {
                Kind::Main => Flavor::MultiThread,
                Kind::Test => Flavor::CurrentThread,
            },
            worker_threads: None,
            start_paused: None,
            name: None,
            krate: None,
        }
    }

    /// Parses and validates the attribute arguments, reporting every error found.
    pub(crate) fn parse(kind: Kind, args: TokenStream) -> syn::Result<Config> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;

        let mut flavor = None;
        let mut worker_threads = None;
        let mut start_paused = None;
        let mut name = None;
        let mut krate = None;
        let mut errors = Errors::default();

        for meta in metas {
            let nv = match meta {
                Meta::NameValue(nv) => nv,
                other => {
                    errors.push(not_name_value(&other));
                    continue;
                }
            };
            let key = nv.path.get_ident().map(ToString::to_string);
            let result = match key.as_deref() {
                Some("flavor") => parse_flavor(&nv).and_then(|v| set_once(&mut flavor, v, &nv)),
                Some("worker_threads") => {
                    parse_worker_threads(&nv).and_then(|v| set_once(&mut worker_threads, v, &nv))
                }
                Some("start_paused") => {
                    parse_bool(&nv).and_then(|v| set_once(&mut start_paused, v, &nv))
                }
                Some("name") => parse_name(&nv).and_then(|v| set_once(&mut name, v, &nv)),
                Some("crate") => parse_crate(&nv).and_then(|v| set_once(&mut krate, v, &nv)),
                _ => Err(syn::Error::new_spanned(
                    &nv.path,
                    format!("unknown attribute argument, expected one of: {VALID_KEYS}"),
                )),
            };
            errors.extend(result.err());
        }

        let explicit_flavor = flavor.is_some();
        let flavor = flavor.map_or(Config::default_for(kind).flavor, |(f, _)| f);

        if let (Some((_, nv)), Flavor::CurrentThread | Flavor::Local) = (&worker_threads, flavor) {
            let hint = if explicit_flavor {
                String::new()
            } else {
                format!(" (`#[{}]` defaults to `current_thread`)", kind.name())
            };
            errors.push(syn::Error::new_spanned(
                nv,
                format!(
                    "`worker_threads` requires `flavor = \"multi_thread\"`{hint}; \
                     the `current_thread` flavor has no worker threads"
                ),
            ));
        }
        if let (Some((_, nv)), Flavor::MultiThread) = (&start_paused, flavor) {
            let hint = if explicit_flavor {
                String::new()
            } else {
                format!(" (`#[{}]` defaults to `multi_thread`)", kind.name())
            };
            errors.push(syn::Error::new_spanned(
                nv,
                format!("`start_paused` requires `flavor = \"current_thread\"`{hint}"),
            ));
        }

        errors.finish()?;
        Ok(Config {
            flavor,
            worker_threads: worker_threads.map(|(n, _)| n),
            start_paused: start_paused.map(|(b, _)| b),
            name: name.map(|(n, _)| n),
            krate: krate.map(|(path, _)| path),
        })
    }
}

/// Collects errors so that all of them are reported at once.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(err),
            None => self.0 = Some(err),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

impl Extend<syn::Error> for Errors {
    fn extend<I: IntoIterator<Item = syn::Error>>(&mut self, iter: I) {
        iter.into_iter().for_each(|err| self.push(err));
    }
}

/// Stores `value` (with the argument it came from, for later error spans) unless already set.
fn set_once<T>(
    slot: &mut Option<(T, MetaNameValue)>,
    value: T,
    nv: &MetaNameValue,
) -> syn::Result<()> {
    if slot.is_some() {
        let key = nv
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        return Err(syn::Error::new_spanned(
            nv,
            format!("`{key}` is given more than once"),
        ));
    }
    *slot = Some((value, nv.clone()));
    Ok(())
}

/// Error for an argument that is not of the `key = value` form.
fn not_name_value(meta: &Meta) -> syn::Error {
    let key = meta.path().get_ident().map(ToString::to_string);
    let msg = match key.as_deref() {
        Some(flavor @ ("multi_thread" | "current_thread" | "local")) => {
            format!("the runtime flavor is set with `flavor = \"{flavor}\"`")
        }
        Some(key @ ("flavor" | "worker_threads" | "start_paused" | "name" | "crate")) => {
            format!("`{key}` expects a value: `{key} = ...`")
        }
        _ => format!("unknown attribute argument, expected one of: {VALID_KEYS}"),
    };
    syn::Error::new_spanned(meta, msg)
}

/// The literal on the right-hand side of `key = <literal>`.
fn literal(nv: &MetaNameValue) -> Option<&Lit> {
    match &nv.value {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        _ => None,
    }
}

fn parse_flavor(nv: &MetaNameValue) -> syn::Result<Flavor> {
    const EXPECTED: &str = "expected `flavor = \"multi_thread\"`, `flavor = \"current_thread\"` \
                            or `flavor = \"local\"`";
    match literal(nv) {
        Some(Lit::Str(s)) => match s.value().as_str() {
            "multi_thread" => Ok(Flavor::MultiThread),
            "current_thread" => Ok(Flavor::CurrentThread),
            "local" => Ok(Flavor::Local),
            other => Err(syn::Error::new_spanned(
                s,
                format!("unknown runtime flavor `{other}`, {EXPECTED}"),
            )),
        },
        _ => Err(syn::Error::new_spanned(&nv.value, EXPECTED)),
    }
}

fn parse_worker_threads(nv: &MetaNameValue) -> syn::Result<LitInt> {
    let Some(Lit::Int(lit)) = literal(nv) else {
        return Err(syn::Error::new_spanned(
            &nv.value,
            "`worker_threads` expects an integer literal, e.g. `worker_threads = 4`",
        ));
    };
    match lit.base10_parse::<usize>() {
        Ok(0) => Err(syn::Error::new_spanned(
            lit,
            "`worker_threads` must be at least 1",
        )),
        // Re-emit without any suffix so `2u8` cannot cause a type error in the expansion.
        Ok(n) => Ok(LitInt::new(&n.to_string(), lit.span())),
        Err(err) => Err(syn::Error::new_spanned(
            lit,
            format!("invalid `worker_threads`: {err}"),
        )),
    }
}

fn parse_bool(nv: &MetaNameValue) -> syn::Result<LitBool> {
    match literal(nv) {
        Some(Lit::Bool(b)) => Ok(b.clone()),
        _ => Err(syn::Error::new_spanned(
            &nv.value,
            "`start_paused` expects `true` or `false`",
        )),
    }
}

/// `name = "..."`: a non-empty string, checked here so that the mistake is a compile error
/// (the builder would panic at run time).
fn parse_name(nv: &MetaNameValue) -> syn::Result<LitStr> {
    const EXPECTED: &str = "`name` expects a non-empty string, e.g. `name = \"my-runtime\"`";
    match literal(nv) {
        Some(Lit::Str(s)) if !s.value().trim().is_empty() => Ok(s.clone()),
        Some(other) => Err(syn::Error::new_spanned(other, EXPECTED)),
        None => Err(syn::Error::new_spanned(&nv.value, EXPECTED)),
    }
}

fn parse_crate(nv: &MetaNameValue) -> syn::Result<Path> {
    const EXPECTED: &str = "`crate` expects a path in a string, e.g. `crate = \"my_tandem\"`";
    match literal(nv) {
        // `LitStr::parse` gives the path's tokens the span of the string literal.
        Some(Lit::Str(s)) => s
            .parse::<Path>()
            .map_err(|_| syn::Error::new_spanned(s, EXPECTED)),
        _ => Err(syn::Error::new_spanned(&nv.value, EXPECTED)),
    }
}
