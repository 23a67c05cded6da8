//! The expansion of `tandem::select!`.
//!
//! `tandem::select!` is a `macro_rules!` front end that forwards its input here, preceded by
//! `($crate)`, so the expansion names Tandem's support items under whatever name the user's
//! crate gives Tandem. The input is `[biased;] branch* [else => expr]`, a branch being
//! `pattern = future [, if precondition] => handler`, with a comma after the handler unless it
//! is a block or the last branch.
//!
//! The expansion, in order:
//!
//! 1. Declares a local enum with one variant per branch (holding that branch's output) and a
//!    `Disabled` variant.
//! 2. Evaluates every precondition, top to bottom; a `false` one sets its branch's bit in the
//!    disabled mask (the smallest unsigned integer with one bit per branch).
//! 3. Evaluates every future expression (disabled branches' too) into one tuple on the stack,
//!    then `IntoFuture::into_future` on each. The tuple is only reached through one `&mut` to
//!    it from then on, so it never moves: that is what makes pinning its fields sound.
//! 4. Awaits a `poll_fn` that, at each poll: returns `Pending` (after a wake-up) if the task's
//!    cooperative budget is spent; otherwise polls each enabled branch once, starting at a
//!    random one (the first with `biased;`) and wrapping around. A ready output disables its
//!    branch; if it matches the branch's pattern (checked on a reference, the pattern stripped
//!    of its `ref`/`mut` binding modes), the poll returns it in the branch's variant. If no
//!    branch is left pending, it returns `Disabled`.
//! 5. Drops the futures (the inner block ends), then matches the output against the branches'
//!    patterns, as written, and evaluates the handler; `Disabled` evaluates the `else`
//!    expression, or panics without one.
//!
//! The handlers run outside any loop or closure of ours, so `break`, `continue`, `return`, `?`
//! and `.await` in them mean what they mean at the call site; and they may borrow what the
//! futures borrowed, since the futures are gone by then.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{token, Expr, ExprBlock, Pat, Token};

/// The most branches one `select!` takes: one bit of a `u64` each.
const MAX_BRANCHES: usize = 64;

mod kw {
    syn::custom_keyword!(biased);
}

struct Branch {
    pat: Pat,
    future: Expr,
    precondition: Option<Expr>,
    handler: Expr,
}

struct Select {
    krate: TokenStream,
    biased: bool,
    branches: Vec<Branch>,
    otherwise: Option<Expr>,
}

/// Parses `(crate-path)` then `biased;` if present: the common head of the three macros' input.
pub(crate) fn parse_head(input: ParseStream) -> syn::Result<(TokenStream, bool)> {
    let krate;
    syn::parenthesized!(krate in input);
    let krate: TokenStream = krate.parse()?;
    let biased = input.peek(kw::biased) && input.peek2(Token![;]);
    if biased {
        input.parse::<kw::biased>()?;
        input.parse::<Token![;]>()?;
    }
    Ok((krate, biased))
}

/// A branch's handler, and the comma after it: required unless the handler is a block or ends
/// the input.
fn parse_handler(input: ParseStream) -> syn::Result<Expr> {
    let handler = if input.peek(token::Brace) {
        Expr::Block(input.parse::<ExprBlock>()?)
    } else {
        input.parse::<Expr>()?
    };
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    } else if !input.is_empty() && !matches!(handler, Expr::Block(_)) {
        return Err(input.error("expected `,` after the handler"));
    }
    Ok(handler)
}

impl Parse for Select {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let (krate, biased) = parse_head(input)?;
        let mut branches = Vec::new();
        let mut otherwise = None;
        while !input.is_empty() {
            if input.peek(Token![else]) {
                input.parse::<Token![else]>()?;
                input.parse::<Token![=>]>()?;
                otherwise = Some(parse_handler(input)?);
                if !input.is_empty() {
                    return Err(input.error("the `else` branch must be the last one"));
                }
                break;
            }
            let pat = Pat::parse_multi_with_leading_vert(input)?;
            input.parse::<Token![=]>()?;
            let future = input.parse::<Expr>()?;
            let precondition = if input.peek(Token![,]) && input.peek2(Token![if]) {
                input.parse::<Token![,]>()?;
                input.parse::<Token![if]>()?;
                Some(input.parse::<Expr>()?)
            } else {
                None
            };
            input.parse::<Token![=>]>()?;
            let handler = parse_handler(input)?;
            branches.push(Branch {
                pat,
                future,
                precondition,
                handler,
            });
        }
        if branches.len() > MAX_BRANCHES {
            return Err(syn::Error::new(
                branches[MAX_BRANCHES].pat.span(),
                format!("select! takes at most {MAX_BRANCHES} branches"),
            ));
        }
        Ok(Select {
            krate,
            biased,
            branches,
            otherwise,
        })
    }
}

/// Expands `select_internal!`; a parse error becomes a `compile_error!`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match syn::parse2::<Select>(input) {
        Ok(select) => generate(select),
        Err(err) => err.to_compile_error(),
    }
}

/// An identifier of the expansion's own, invisible to the user's code (mixed-site hygiene).
fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

fn generate(select: Select) -> TokenStream {
    let Select {
        krate,
        biased,
        branches,
        otherwise,
    } = select;
    let support = quote!(#krate::macros::support);
    if branches.is_empty() {
        return match otherwise {
            Some(otherwise) => quote!({ #otherwise }),
            None => syn::Error::new(Span::call_site(), "select! requires at least one branch")
                .to_compile_error(),
        };
    }

    let count = branches.len();
    let count_lit = Literal::u32_unsuffixed(count as u32);
    let mask_ty = match count {
        0..=8 => quote!(u8),
        9..=16 => quote!(u16),
        17..=32 => quote!(u32),
        _ => quote!(u64),
    };
    let output_enum = Ident::new("__TandemSelectOutput", Span::mixed_site());
    let disabled = local("__disabled");
    let output = local("__output");
    let init = local("__init");
    let futures = local("__futures");
    let cx = local("__cx");
    let start = local("__start");
    let pending = local("__pending");
    let step = local("__step");
    let index = local("__index");
    let value = local("__value");
    let matched = local("__matched");
    let fut = local("__fut");

    let params: Vec<Ident> = (0..count).map(|i| local(&format!("T{i}"))).collect();
    let variants: Vec<Ident> = (0..count).map(|i| local(&format!("Branch{i}"))).collect();
    let indices: Vec<syn::Index> = (0..count).map(syn::Index::from).collect();
    let numbers: Vec<Literal> = (0..count)
        .map(|i| Literal::u32_unsuffixed(i as u32))
        .collect();
    let bits: Vec<Literal> = (0..count)
        .map(|i| Literal::u64_unsuffixed(1 << i))
        .collect();

    let preconditions = branches.iter().zip(&bits).filter_map(|(branch, bit)| {
        let cond = branch.precondition.as_ref()?;
        Some(quote! {
            if !(#cond) {
                #disabled |= #bit;
            }
        })
    });
    let future_exprs = branches.iter().map(|branch| &branch.future);
    let into_futures = branches.iter().zip(&indices).map(|(branch, i)| {
        quote_spanned! {branch.future.span()=>
            #support::IntoFuture::into_future(#init.#i)
        }
    });
    let start_expr = if biased {
        quote!(0)
    } else {
        quote!(#support::thread_rng_n(#count_lit))
    };
    let poll_arms = branches.iter().enumerate().map(|(i, branch)| {
        let (number, bit, index_field, variant) =
            (&numbers[i], &bits[i], &indices[i], &variants[i]);
        let mut check = branch.pat.clone();
        strip_binding_modes(&mut check);
        quote! {
            // An uninhabited output (a future of `!`) makes the rest of the arm unreachable.
            #[allow(unreachable_code)]
            #number => {
                if #disabled & #bit != 0 {
                    continue;
                }
                // SAFETY: the tuple of futures is a local of the enclosing block that is only
                // reached through the one `&mut` the closure holds, and is never moved: it is
                // dropped in place when the block ends (step 3 of the module docs).
                let #fut = unsafe { #support::Pin::new_unchecked(&mut #futures.#index_field) };
                let #value = match #support::Future::poll(#fut, #cx) {
                    #support::Poll::Ready(#value) => #value,
                    #support::Poll::Pending => {
                        #pending = true;
                        continue;
                    }
                };
                #disabled |= #bit;
                #[allow(unused_variables, unreachable_patterns)]
                let #matched = match &#value {
                    #check => true,
                    _ => false,
                };
                if #matched {
                    return #support::Poll::Ready(#output_enum::#variant(#value));
                }
            }
        }
    });
    let handler_arms = branches.iter().zip(&variants).map(|(branch, variant)| {
        let (pat, handler) = (&branch.pat, &branch.handler);
        quote!(#output_enum::#variant(#pat) => #handler,)
    });
    let otherwise = match otherwise {
        Some(otherwise) => quote!(#otherwise),
        None => quote!(::core::panic!(
            "all branches are disabled and there is no else branch"
        )),
    };

    quote! {{
        #[allow(non_camel_case_types, clippy::large_enum_variant)]
        enum #output_enum<#(#params),*> {
            #(#variants(#params),)*
            Disabled,
        }

        let mut #disabled: #mask_ty = 0;
        #(#preconditions)*

        // Mutable for the handlers' `ref mut` bindings.
        #[allow(unused_mut)]
        let mut #output = {
            // The futures are evaluated as written first, so that temporaries in their
            // expressions live to the end of this block (`&mut std::future::ready(())`).
            let #init = (#(#future_exprs,)*);
            let mut #futures = (#(#into_futures,)*);
            let #futures = &mut #futures;
            #support::poll_fn(|#cx| {
                // One capture of the whole tuple (not one per field): keeps the closure, which
                // lives across the await, two pointers wide.
                let #futures = &mut *#futures;
                // Budget-aware futures would yield anyway; the others would never let the
                // task go.
                #support::ready!(#support::poll_budget_available(#cx));
                let #start: u32 = #start_expr;
                let mut #pending = false;
                for #step in 0..#count_lit {
                    let mut #index: u32 = #start + #step;
                    if #index >= #count_lit {
                        #index -= #count_lit;
                    }
                    match #index {
                        #(#poll_arms)*
                        _ => ::core::unreachable!("select! branch index out of range"),
                    }
                }
                if #pending {
                    #support::Poll::Pending
                } else {
                    #support::Poll::Ready(#output_enum::Disabled)
                }
            })
            .await
        };

        #[allow(unreachable_patterns, unreachable_code)]
        match #output {
            #(#handler_arms)*
            #output_enum::Disabled => #otherwise,
            _ => ::core::unreachable!("select! output that did not match its pattern"),
        }
    }}
}

/// Strips `ref`, `ref mut` and `mut` from every binding of `pat`, so that it can be matched
/// against a reference to the value (bindings become references) without moving out of it.
/// Reference patterns (`&p`, `&mut p`) become `p`: a reference pattern always matches at its
/// own level, and under the reference's default binding mode `p` is checked against the
/// referent all the same (edition 2024 forbids writing `&` there).
fn strip_binding_modes(pat: &mut Pat) {
    if let Pat::Reference(reference) = pat {
        *pat = (*reference.pat).clone();
        return strip_binding_modes(pat);
    }
    match pat {
        Pat::Ident(ident) => {
            ident.by_ref = None;
            ident.mutability = None;
            if let Some((_, sub)) = &mut ident.subpat {
                strip_binding_modes(sub);
            }
        }
        Pat::Or(or) => or.cases.iter_mut().for_each(strip_binding_modes),
        Pat::Paren(paren) => strip_binding_modes(&mut paren.pat),
        Pat::Slice(slice) => slice.elems.iter_mut().for_each(strip_binding_modes),
        Pat::Struct(strukt) => strukt
            .fields
            .iter_mut()
            .for_each(|field| strip_binding_modes(&mut field.pat)),
        Pat::Tuple(tuple) => tuple.elems.iter_mut().for_each(strip_binding_modes),
        Pat::TupleStruct(tuple) => tuple.elems.iter_mut().for_each(strip_binding_modes),
        Pat::Type(typed) => strip_binding_modes(&mut typed.pat),
        _ => {}
    }
}
