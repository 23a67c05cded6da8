//! Turning an `async fn` into a synchronous fn that builds a runtime and blocks on the body.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use proc_macro_crate::FoundCrate;
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Block, Path, Signature, Visibility};

use crate::config::{Config, Flavor, Kind};

/// Expands one macro invocation. Never fails: on error the user's item is emitted together
/// with the error, so that the rest of the crate (and IDE analysis) keeps working.
pub(crate) fn entry(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: AsyncFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(err) => return with_error(item, err),
    };
    let config = Config::parse(kind, args);
    if let Err(sig_err) = check_fn(kind, &func) {
        let err = match config {
            Err(mut config_err) => {
                config_err.combine(sig_err);
                config_err
            }
            Ok(_) => sig_err,
        };
        return with_error(item, err);
    }
    match config {
        Ok(config) => expand(kind, &config, func),
        // Still produce a working fn (with the defaults), so the only error is the real one.
        Err(err) => with_error(expand(kind, &Config::default_for(kind), func), err),
    }
}

/// A function whose body is kept as unparsed tokens: syntax errors in it are then reported
/// once, by rustc, and do not prevent the expansion (which keeps IDE analysis working).
struct AsyncFn {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    body: Group,
}

impl Parse for AsyncFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        match input.parse()? {
            TokenTree::Group(body) if body.delimiter() == Delimiter::Brace => Ok(AsyncFn {
                attrs,
                vis,
                sig,
                body,
            }),
            other => Err(syn::Error::new(other.span(), "expected a function body")),
        }
    }
}

fn with_error(mut tokens: TokenStream, err: syn::Error) -> TokenStream {
    tokens.extend(err.into_compile_error());
    tokens
}

/// Rejects functions the macro cannot turn into a working entry point.
fn check_fn(kind: Kind, func: &AsyncFn) -> syn::Result<()> {
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }
    match kind {
        Kind::Test if !sig.inputs.is_empty() => Err(syn::Error::new_spanned(
            &sig.inputs,
            "a test function cannot accept arguments",
        )),
        Kind::Test => match func.attrs.iter().find(|attr| is_test_attribute(attr)) {
            Some(attr) => Err(syn::Error::new_spanned(
                attr,
                "`#[tandem::test]` already adds `#[test]`; remove this attribute",
            )),
            None => Ok(()),
        },
        Kind::Main => Ok(()),
    }
}

/// `#[test]` or `#[core::prelude::v1::test]`-like paths (the built-in test attribute).
fn is_test_attribute(attr: &Attribute) -> bool {
    let segments = &attr.path().segments;
    let is =
        |segment: Option<&syn::PathSegment>, name: &str| segment.is_some_and(|s| s.ident == name);
    is(segments.last(), "test")
        && (segments.len() == 1 || is(segments.first(), "core") || is(segments.first(), "std"))
}

fn expand(kind: Kind, config: &Config, func: AsyncFn) -> TokenStream {
    let krate = config.krate.clone().unwrap_or_else(default_crate_path);
    let new_builder = match config.flavor {
        Flavor::MultiThread => quote!(new_multi_thread),
        Flavor::CurrentThread | Flavor::Local => quote!(new_current_thread),
    };
    // A `LocalRuntime` for `flavor = "local"`, so the body may `spawn_local`.
    let build = match config.flavor {
        Flavor::Local => quote!(build_local(::core::default::Default::default())),
        Flavor::MultiThread | Flavor::CurrentThread => quote!(build()),
    };
    // Spanned at the user's arguments, so errors about them point there.
    let worker_threads = config
        .worker_threads
        .as_ref()
        .map(|n| quote_spanned!(n.span()=> .worker_threads(#n)));
    let start_paused = config
        .start_paused
        .as_ref()
        .filter(|paused| paused.value)
        .map(|paused| quote_spanned!(paused.span=> .start_paused(true)));

    let name = config
        .name
        .as_ref()
        .map(|name| quote_spanned!(name.span()=> .name(#name)));

    // The body goes into an `async` block unchanged, so errors in it keep pointing at user code.
    // The final `runtime.block_on(body)` gets the spans of the body's last statement: if the
    // body's type does not match the declared return type, that is where rustc reports it.
    let user_body = &func.body;
    let (start, end) = last_stmt_span(user_body);
    let runtime = quote_spanned!(start=> runtime);
    let block_on = quote_spanned!(end=> .block_on(body));
    let new_block = quote! {
        {
            let body = async #user_body;
            #[allow(clippy::expect_used)]
            let runtime = #krate::runtime::Builder::#new_builder()
                #worker_threads
                #start_paused
                #name
                .enable_all()
                .#build
                .expect("Failed building the Runtime");
            #runtime #block_on
        }
    };
    let test_attr = (kind == Kind::Test).then(|| quote!(#[::core::prelude::v1::test]));
    let AsyncFn {
        attrs,
        vis,
        mut sig,
        ..
    } = func;
    sig.asyncness = None;
    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig #new_block
    }
}

/// The spans of the first and last token of the body's last statement, or of its closing brace
/// if it is empty or does not parse.
fn last_stmt_span(body: &Group) -> (Span, Span) {
    let last = syn::parse2::<Block>(body.to_token_stream())
        .ok()
        .and_then(|block| block.stmts.last().map(ToTokens::to_token_stream));
    let mut tokens = last.into_iter().flatten();
    let end = body.span_close();
    let start = tokens.next().map_or(end, |t| t.span());
    let end = tokens.last().map_or(start, |t| t.span());
    (start, end)
}

/// The path of the `tandem` crate as the calling crate sees it.
///
/// A direct dependency on `tandem` wins (renamed or not: `tokio = { package = "tandem", .. }`
/// gives `::tokio`); otherwise the crate reaches Tandem through `compat/tokio`, the crate named
/// `tokio` that re-exports it, and the path is that dependency's name.
fn default_crate_path() -> Path {
    let name = match proc_macro_crate::crate_name("tandem") {
        Ok(FoundCrate::Name(name)) => Some(name),
        // `Itself` is reported for tandem's own tests and examples too, where `crate` would be
        // the test crate; `::tandem` works in both (tandem's lib needs `extern crate self as
        // tandem;` to use the macros internally).
        Ok(FoundCrate::Itself) => None,
        Err(_) => match proc_macro_crate::crate_name("tokio") {
            Ok(FoundCrate::Name(name)) => Some(name),
            // compat/tokio's own tests: `tokio` is the crate under test.
            Ok(FoundCrate::Itself) => Some("tokio".to_owned()),
            Err(_) => None,
        },
    };
    name.and_then(|name| syn::parse_str(&format!("::{name}")).ok())
        .unwrap_or_else(|| syn::parse_quote!(::tandem))
}
