//! The expansions of `tandem::join!` and `tandem::try_join!`.
//!
//! As for `select!`, the `macro_rules!` front ends forward their input preceded by `($crate)`.
//! The input is `[biased;] future, ...` (a trailing comma allowed). The expansion:
//!
//! 1. Evaluates every future expression, top to bottom, each into a `MaybeDone` (or, for
//!    `try_join!`, a `TryMaybeDone`, which keeps only the `Ok` value) in one tuple on the stack.
//!    The tuple is only reached through one `&mut` to it from then on, so it never moves: that
//!    is what makes pinning its fields sound.
//! 2. Awaits a `poll_fn` that, at each poll, polls every future not yet done once, in order,
//!    starting at the branch after the one it started at last time (wrapping around), or at
//!    the first with `biased;`. Rotating the start keeps a future that spends the whole task
//!    budget at each poll from starving the ones behind it.
//! 3. When all are done, takes their outputs into a tuple. `try_join!` returns the first `Err`
//!    as soon as it is seen, dropping the other futures.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Token};

struct Join {
    krate: TokenStream,
    biased: bool,
    futures: Vec<Expr>,
}

impl Parse for Join {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let (krate, biased) = crate::select::parse_head(input)?;
        let futures = Punctuated::<Expr, Token![,]>::parse_terminated(input)?;
        Ok(Join {
            krate,
            biased,
            futures: futures.into_iter().collect(),
        })
    }
}

/// Which macro is expanded.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Join,
    TryJoin,
}

/// Expands `join_internal!` or `try_join_internal!`; a parse error becomes a `compile_error!`.
pub(crate) fn expand(kind: Kind, input: TokenStream) -> TokenStream {
    match syn::parse2::<Join>(input) {
        Ok(join) => generate(kind, join),
        Err(err) => err.to_compile_error(),
    }
}

fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

fn generate(kind: Kind, join: Join) -> TokenStream {
    let Join {
        krate,
        biased,
        futures: exprs,
    } = join;
    let support = quote!(#krate::macros::support);
    if exprs.is_empty() {
        return match kind {
            Kind::Join => quote!(()),
            Kind::TryJoin => quote!(::core::result::Result::Ok(())),
        };
    }

    let count = Literal::u32_unsuffixed(exprs.len() as u32);
    let futures = local("__futures");
    let next = local("__next");
    let cx = local("__cx");
    let start = local("__start");
    let done = local("__done");
    let step = local("__step");
    let index = local("__index");
    let fut = local("__fut");
    let err = local("__err");
    let indices: Vec<syn::Index> = (0..exprs.len()).map(syn::Index::from).collect();
    let numbers = (0..exprs.len()).map(|i| Literal::u32_unsuffixed(i as u32));

    let wrapper = match kind {
        Kind::Join => quote!(MaybeDone),
        Kind::TryJoin => quote!(TryMaybeDone),
    };
    let wrapped = exprs.iter().map(|expr| {
        quote_spanned! {expr.span()=> #support::#wrapper::new(#expr) }
    });
    let (rotation_state, start_expr) = if biased {
        (quote!(), quote!(0))
    } else {
        (
            quote!(let mut #next: u32 = 0;),
            quote! {{
                let #start = #next;
                #next = if #next + 1 == #count { 0 } else { #next + 1 };
                #start
            }},
        )
    };
    let poll_one = match kind {
        Kind::Join => quote! {
            if #support::Future::poll(#fut, #cx).is_pending() {
                #done = false;
            }
        },
        Kind::TryJoin => quote! {
            #[allow(unreachable_patterns)]
            match #support::Future::poll(#fut, #cx) {
                #support::Poll::Ready(::core::result::Result::Err(#err)) => {
                    return #support::Poll::Ready(::core::result::Result::Err(#err));
                }
                #support::Poll::Ready(::core::result::Result::Ok(())) => {}
                #support::Poll::Pending => #done = false,
            }
        },
    };
    let poll_arms = numbers.zip(&indices).map(|(number, i)| {
        quote! {
            #number => {
                // SAFETY: the tuple of futures is a local of the enclosing block that is only
                // reached through the one `&mut` the closure holds, and is never moved: it is
                // dropped in place when the block ends (step 1 of the module docs).
                let #fut = unsafe { #support::Pin::new_unchecked(&mut #futures.#i) };
                #poll_one
            }
        }
    });
    let outputs = indices.iter().map(|i| {
        quote! {
            // SAFETY: as when polling, above.
            unsafe { #support::Pin::new_unchecked(&mut #futures.#i) }.take_output(),
        }
    });
    let result = match kind {
        Kind::Join => quote!((#(#outputs)*)),
        Kind::TryJoin => quote!(::core::result::Result::Ok((#(#outputs)*))),
    };

    quote! {{
        let mut #futures = (#(#wrapped,)*);
        let #futures = &mut #futures;
        #rotation_state
        #support::poll_fn(move |#cx| {
            let #start: u32 = #start_expr;
            let mut #done = true;
            for #step in 0..#count {
                let mut #index: u32 = #start + #step;
                if #index >= #count {
                    #index -= #count;
                }
                match #index {
                    #(#poll_arms)*
                    _ => ::core::unreachable!("join! branch index out of range"),
                }
            }
            if !#done {
                return #support::Poll::Pending;
            }
            // An uninhabited output (`Infallible`) makes this unreachable.
            #[allow(unreachable_code)]
            {
                #support::Poll::Ready(#result)
            }
        })
        .await
    }}
}
