/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_MAIL_PROVIDER_H
#define BUDBRINGER_MAIL_PROVIDER_H

/*
 * Which email provider a recipient domain belongs to, for reputation
 * figures: the big receivers under the names their postmaster tools use
 * (each has several domains), every other domain — the Danish ISPs'
 * mail.dk, stofanet.dk, a municipality's own — as it is. Pure.
 *
 *   gmail.com googlemail.com                          -> gmail
 *   outlook.* hotmail.* live.* msn.com passport.com   -> outlook
 *   yahoo.* ymail.com rocketmail.com                  -> yahoo
 *   icloud.com me.com mac.com                         -> icloud
 *   anything else (lower case expected)               -> the domain
 *   ""                                                -> "(none)"
 */

/* The provider of domain: a static name, or domain itself. */
const char *mail_provider_of(const char *domain);

#endif
