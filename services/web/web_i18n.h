// SPDX-License-Identifier: MIT
//
// web_i18n.h: fed-web's words in French (the default) and English, and the
// way numbers, energies, money and dates are written in each language
// (French: decimal comma, narrow space between thousands, "12,3 kWh").
//
// Every string is static; the formatting functions write into a buffer the
// caller provides (WEB_FMT_LEN bytes always suffice) and never fail.

#ifndef WEB_I18N_H
#define WEB_I18N_H

#include <stddef.h>
#include <stdint.h>

#include "fed/tz.h"

typedef enum web_lang {
	WEB_LANG_FR,
	WEB_LANG_EN,
} web_lang;

#define WEB_FMT_LEN 64

// X(ID, "français", "English")
#define WEB_STRINGS(X)                                                        \
	X(APP, "Énergie partagée", "Shared energy")                           \
	X(DASHBOARD, "Mes investissements", "My investments")                 \
	X(PRODUCTION, "Production détaillée", "Production detail")            \
	X(DISTRIBUTION, "Répartition", "Distribution")                        \
	X(SETTINGS, "Mes parts", "My shares")                                 \
	X(ADMIN, "Projets (admin)", "Projects (admin)")                       \
	X(CURVES, "Courbes de charge", "Load curves")                         \
	X(LIVE, "En direct", "Live")                                          \
	X(LOGIN, "Connexion", "Log in")                                       \
	X(LOGOUT, "Déconnexion", "Log out")                                   \
	X(USER, "Identifiant", "User name")                                   \
	X(PASSWORD, "Mot de passe", "Password")                               \
	X(BAD_LOGIN, "Identifiant ou mot de passe incorrect.",                \
	    "Wrong user name or password.")                                   \
	X(LOCKED, "Trop d'essais : réessayez dans une minute.",               \
	    "Too many attempts: try again in a minute.")                      \
	X(SHARES, "Parts détenues", "Shares held")                            \
	X(OF, "sur", "of")                                                    \
	X(BUDGET, "Part du budget", "Share of the budget")                    \
	X(INVESTED, "Montant investi", "Amount invested")                     \
	X(PANELS, "Surface de panneaux", "Panel surface")                     \
	X(TODAY, "Aujourd'hui", "Today")                                      \
	X(MONTH, "Ce mois", "This month")                                     \
	X(YEAR, "Cette année", "This year")                                   \
	X(TOTAL, "Depuis le début", "Since the start")                        \
	X(MY_PRODUCTION, "Produit par mes parts", "Produced by my shares")    \
	X(MY_CONSUMPTION, "Ma consommation", "My consumption")                \
	X(COVERED, "part couverte par mes parts",                             \
	    "share produced by my shares")                                    \
	X(EQUIV, "Équivalents", "Equivalents")                                \
	X(HOUSEHOLD_DAYS, "jours de consommation d'un foyer moyen",           \
	    "days of an average household's use")                             \
	X(CO2, "kg de CO2 évités (estimation)", "kg CO2 avoided (estimate)")  \
	X(INCOMPLETE, "données incomplètes", "incomplete data")               \
	X(PROJECT_PAGE, "Site du projet", "Project's web page")               \
	X(LAST_30, "Les 30 derniers jours, jour par jour",                    \
	    "The last 30 days, day by day")                                   \
	X(PROJECT_PROD, "Production du projet", "Project's production")       \
	X(MY_SHARE, "Ma part", "My share")                                    \
	X(DATE, "Date", "Date")                                               \
	X(HOUR, "Heure", "Hour")                                              \
	X(COVERAGE, "Couverture", "Coverage")                                 \
	X(FROM, "Du", "From")                                                 \
	X(TO, "au", "to")                                                     \
	X(DAY, "Jour", "Day")                                                 \
	X(SHOW, "Afficher", "Show")                                           \
	X(SOURCES, "Sources des chiffres", "Where the figures come from")     \
	X(SERIES, "Série", "Series")                                          \
	X(NODE, "Nœud", "Node")                                               \
	X(LAST_UPDATE, "Dernière mise à jour", "Last update")                 \
	X(METER, "Compteur", "Meter")                                         \
	X(OWNER, "Propriétaire", "Owner")                                     \
	X(ORIGIN, "Répliquée depuis", "Replicated from")                      \
	X(MY_MONEY, "Répartition de mon argent", "How my money is spread")    \
	X(HOLDERS, "Répartition des parts du projet (anonyme)",               \
	    "How the project's shares are spread (anonymous)")                \
	X(AVAILABLE, "disponibles", "available")                              \
	X(ME, "moi", "me")                                                    \
	X(ANONYMOUS, "investisseur", "investor")                              \
	X(PROJECT, "Projet", "Project")                                       \
	X(TYPE, "Type", "Type")                                               \
	X(ORGANISATION, "Organisation", "Organisation")                       \
	X(POWER, "Puissance", "Power")                                        \
	X(COST, "Coût", "Cost")                                               \
	X(SHARE_PRICE, "Prix d'une part", "Share price")                      \
	X(ADD_INVESTMENT, "Ajouter un investissement", "Add an investment")   \
	X(NB_SHARES, "Nombre de parts", "Number of shares")                   \
	X(ADD, "Ajouter", "Add")                                              \
	X(REMOVE, "Retirer", "Remove")                                        \
	X(SAVE, "Enregistrer", "Save")                                        \
	X(EDIT, "Modifier", "Edit")                                           \
	X(NEW_PROJECT, "Nouveau projet", "New project")                       \
	X(NAME, "Nom", "Name")                                                \
	X(LOCATION, "Lieu", "Location")                                       \
	X(PEAK, "Puissance crête (kWc)", "Peak power (kWp)")                  \
	X(COST_EUR, "Coût (€)", "Cost (€)")                                   \
	X(PRICE_EUR, "Prix d'une part (€)", "Share price (€)")                \
	X(PANEL_M2, "Surface de panneaux (m², 0 = inconnue)",                 \
	    "Panel surface (m², 0 = unknown)")                                \
	X(COMMISSIONED, "Mise en service (AAAA-MM-JJ)",                       \
	    "Commissioned (YYYY-MM-DD)")                                      \
	X(URL, "Page web", "Web page")                                        \
	X(SAVED, "Enregistré.", "Saved.")                                     \
	X(NO_HOLDING, "Aucun investissement pour l'instant.",                 \
	    "No investment yet.")                                             \
	X(SCALE, "Échelle", "Scale")                                          \
	X(WEEK, "Semaine", "Week")                                            \
	X(MONTH_S, "Mois", "Month")                                           \
	X(YEAR_S, "Année", "Year")                                            \
	X(PREV, "◀ Précédent", "◀ Previous")                                  \
	X(NEXT, "Suivant ▶", "Next ▶")                                        \
	X(OVERLAY, "Superposer sur un seul graphique",                        \
	    "Overlay on one chart")                                           \
	X(CHOOSE, "Choisir les courbes", "Choose the curves")                 \
	X(NONE_CHOSEN, "Choisissez au moins une courbe.",                     \
	    "Choose at least one curve.")                                     \
	X(KIND, "Nature", "Kind")                                             \
	X(CONSUMPTION, "consommation", "consumption")                         \
	X(PRODUCTION_K, "production", "production")                           \
	X(POWER_K, "puissance", "power")                                      \
	X(INDEX_K, "index", "index")                                          \
	X(CURRENT_POWER, "Puissance actuelle", "Current power")               \
	X(AT, "à", "at")                                                      \
	X(ERROR, "Erreur", "Error")                                           \
	X(NOT_FOUND, "Page introuvable.", "Page not found.")                  \
	X(FORBIDDEN, "Accès refusé.", "Access denied.")                       \
	X(UNAVAILABLE, "Service momentanément indisponible",                  \
	    "Service unavailable for now")                                    \
	X(BACK, "Retour", "Back")                                             \
	X(NO_DATA, "pas de données", "no data")                               \
	X(TOTAL_ROW, "Total", "Total")                                        \
	X(PORTFOLIO, "Part de mon portefeuille", "Share of my portfolio")     \
	X(NO_SERIES, "Aucune série ne vous est accessible.",                  \
	    "No series is open to you.")                                      \
	X(SOME_NODES_DOWN, "Un nœud ne répond pas : sa liste manque.",        \
	    "A node does not answer: its list is missing.")                   \
	X(NO_SUCH_SERIES,                                                     \
	    "Aucune série de ce nom parmi celles que vous pouvez voir.",      \
	    "No series of that name among those you may see.")                \
	X(CONSENT, "Mes partages", "My consent")                              \
	X(CONSENT_INTRO,                                                      \
	    "Qui reçoit vos données, lesquelles, et ce qu'il en a lu.",       \
	    "Who receives your data, which, and what they read of it.")       \
	X(NO_GRANT, "Aucun partage sur vos séries.",                          \
	    "No grant on your series.")                                       \
	X(GRANTEE, "Destinataire", "Grantee")                                 \
	X(SCOPES, "Autorisations", "Scopes")                                  \
	X(SCOPE_QUERY, "consultation", "query")                               \
	X(SCOPE_LIVE, "envoi en continu", "live replication")                 \
	X(FINEST, "Pas le plus fin", "Finest step")                           \
	X(STEP_RAW, "chaque point", "every point")                            \
	X(STEP_5MIN, "5 minutes", "5 minutes")                                \
	X(STEP_15MIN, "15 minutes", "15 minutes")                             \
	X(DATA_RANGE, "Données couvertes", "Data range")                      \
	X(SINCE, "depuis le", "since")                                        \
	X(ALL_DATA, "toutes", "all")                                          \
	X(EXPIRES, "Expire", "Expires")                                       \
	X(NEVER, "jamais", "never")                                           \
	X(LAST_REPLICATED, "Dernier envoi", "Last replicated")                \
	X(STATE, "État", "State")                                             \
	X(ACTIVE, "actif", "active")                                          \
	X(REVOKED, "révoqué", "revoked")                                      \
	X(EXPIRED, "expiré", "expired")                                       \
	X(REVOKE, "Révoquer", "Revoke")                                       \
	X(REVOKE_TITLE, "Révoquer ce partage ?", "Revoke this grant?")        \
	X(REVOKE_EXPLAIN,                                                     \
	    "Dès maintenant, le destinataire ne reçoit plus rien de ces "   \
	    "données et ne peut plus les consulter sur votre nœud. Ce "     \
	    "qu'il a déjà reçu reste chez lui.",                              \
	    "From now on the grantee receives nothing more of this data "     \
	    "and may no longer query it on your node. What it has already "   \
	    "received stays with it.")                                        \
	X(CANCEL, "Annuler", "Cancel")                                        \
	X(REVOKED_OK, "Partage révoqué.", "Grant revoked.")                   \
	X(ACCESS_LOG, "Journal des accès", "Access log")                      \
	X(NO_ACCESS, "Aucun accès enregistré.", "No access recorded.")        \
	X(WHEN, "Quand", "When")                                              \
	X(CALL, "Appel", "Call")                                              \
	X(CALL_QUERY, "consultation par le destinataire",                     \
	    "query by the grantee")                                           \
	X(CALL_REPLICATE, "envoi par votre nœud", "sent by your node")        \
	X(RESULT, "Résultat", "Result")                                       \
	X(ANSWERED, "servi", "answered")                                      \
	X(REFUSED, "refusé", "refused")                                       \
	X(NEW_GRANT, "Partager mes totaux journaliers",                       \
	    "Share my daily totals")                                          \
	X(NEW_GRANT_EXPLAIN,                                                  \
	    "Le destinataire reçoit un total par jour, jamais la courbe "    \
	    "détaillée.",                                                     \
	    "The grantee receives one total a day, never the detailed "       \
	    "curve.")                                                         \
	X(ALL_OF, "tout", "all of")                                           \
	X(WITH_LIVE, "les lui envoyer au fil de l'eau (réplication)",         \
	    "send them as they come (replication)")                           \
	X(DATA_FROM, "Données à partir du (AAAA-MM-JJ, vide : toutes)",       \
	    "Data from (YYYY-MM-DD, empty: all)")                             \
	X(EXPIRES_ON, "Dernier jour (AAAA-MM-JJ, vide : sans fin)",           \
	    "Last day (YYYY-MM-DD, empty: no end)")                           \
	X(CREATE_GRANT, "Créer le partage", "Create the grant")               \
	X(DIRECTORY_DOWN,                                                     \
	    "L'annuaire de la fédération ne répond pas : aucun "           \
	    "destinataire ne peut être choisi pour l'instant.",               \
	    "The federation's directory does not answer: no grantee can "     \
	    "be chosen for now.")                                             \
	X(NO_MEMBER, "Aucun autre membre disponible dans la fédération.",     \
	    "No other member of the federation is available.")                \
	X(GRANT_CREATED, "Partage créé.", "Grant created.")                   \
	X(GRANT_TOKEN, "Jeton du destinataire, affiché une seule fois",       \
	    "The grantee's token, shown once")                                \
	X(GRANT_TOKEN_EXPLAIN,                                                \
	    "Avec l'envoi en continu, votre nœud pousse lui-même les "      \
	    "totaux au destinataire : il n'y a rien à transmettre. Ce "      \
	    "jeton ne sert qu'à interroger votre nœud directement ; "       \
	    "fed-web ne le garde pas. Ne le confiez qu'à l'administrateur "  \
	    "du destinataire, par un canal sûr.",                             \
	    "With live replication your node pushes the totals to the "       \
	    "grantee itself: there is nothing to hand over. This token "      \
	    "only serves to query your node directly; fed-web does not "      \
	    "keep it. Give it only to the grantee's administrator, through "  \
	    "a safe channel.")                                                \
	X(GRANT_EXISTS, "Ce partage existe déjà.",                            \
	    "This grant exists already.")                                     \
	X(BAD_GRANTEE,                                                        \
	    "grantee : un membre disponible de la fédération, autre que "   \
	    "votre nœud",                                                     \
	    "grantee: an available member of the federation, other than "     \
	    "your node")                                                      \
	X(BAD_SERIES, "series : une de vos séries", "series: one of yours")   \
	X(BAD_FROM, "from : une date AAAA-MM-JJ", "from: a date YYYY-MM-DD")  \
	X(BAD_EXPIRES, "expires : une date AAAA-MM-JJ, pas encore passée",    \
	    "expires: a date YYYY-MM-DD, not past yet")                       \
	X(NO_SUCH_GRANT, "Aucun partage de ce nom sur vos séries.",           \
	    "No grant of that name on your series.")                          \
	/* Errors of forms and requests */                                    \
	X(METHOD, "Méthode non permise.", "Method not allowed.")              \
	X(CONFLICT, "Conflit avec l'état actuel.",                            \
	    "Conflict with the current state.")                               \
	X(BAD_REQUEST, "Requête invalide.", "Invalid request.")               \
	X(CSRF_STALE,                                                         \
	    "Le jeton du formulaire manque ou a expiré : rechargez la "      \
	    "page et réessayez.",                                             \
	    "The form's token is missing or stale: reload the page and "      \
	    "try again.")                                                     \
	X(BAD_ACTION, "action : valeur inattendue",                           \
	    "action: unexpected value")                                       \
	X(BAD_PROJECT, "project : choisissez un projet de la liste",          \
	    "project: choose a project from the list")                        \
	X(BAD_SHARES, "shares : un nombre entier de 1 à 1000000",             \
	    "shares: expected a whole number from 1 to 1000000")              \
	X(NO_SUCH_PROJECT, "Aucun projet de ce nom.", "No such project.")     \
	X(BAD_ACQUIRED, "acquired : une date AAAA-MM-JJ, pas dans le futur",  \
	    "acquired: a date YYYY-MM-DD, not in the future")                 \
	X(BAD_ID, "id : 1 à 100 caractères parmi A-Z a-z 0-9 . _ -",          \
	    "id: 1 to 100 characters of A-Z a-z 0-9 . _ -")                   \
	X(BAD_NAME, "name : obligatoire, 200 caractères au plus",             \
	    "name: required, at most 200 characters")                         \
	X(BAD_ORGANISATION, "organisation : obligatoire",                     \
	    "organisation: required")                                         \
	X(BAD_TYPE, "type : choisissez dans la liste",                        \
	    "type: choose one from the list")                                 \
	X(BAD_PEAK, "peak_kw : un nombre de kWc, 0 ou plus",                  \
	    "peak_kw: a number of kWp, 0 or more")                            \
	X(BAD_COST, "cost_eur : un montant en euros, plus de 0",              \
	    "cost_eur: an amount in euros, more than 0")                      \
	X(BAD_PRICE, "share_price_eur : un montant en euros, plus de 0",      \
	    "share_price_eur: an amount in euros, more than 0")               \
	X(BAD_PANEL, "panel_m2 : un nombre de m², 0 si inconnu",              \
	    "panel_m2: a number of m², 0 when unknown")                       \
	X(BAD_COMMISSIONED, "commissioned : une date AAAA-MM-JJ",             \
	    "commissioned: a date YYYY-MM-DD")                                \
	X(BAD_URL, "url : une adresse commençant par https:// ou http://",    \
	    "url: an address starting with https:// or http://")              \
	X(BAD_SERIES_ID, "une série : site/compteur/grandeur",                \
	    "a series: site/meter/quantity")                                  \
	X(BAD_NODE, "node : un nom de nœud", "node: a node name")             \
	X(BAD_GRANT, "grant : un identifiant de partage",                     \
	    "grant: a grant id")                                              \
	X(BAD_SCALE, "scale : jour, semaine, mois ou année attendu",          \
	    "scale: expected day, week, month or year")                       \
	X(BAD_AT, "la date : AAAA-MM-JJ", "at: a date YYYY-MM-DD")            \
	X(BAD_AT_TIME, "la date : AAAA-MM-JJ ou une heure ISO 8601",          \
	    "at: a date YYYY-MM-DD or an ISO 8601 time")                      \
	X(BAD_DAY, "le jour : une date AAAA-MM-JJ", "day: a date YYYY-MM-DD") \
	X(BAD_PERIOD_ORDER, "la période doit finir après son début",          \
	    "the period must end after it starts")                            \
	X(BAD_PERIOD_LONG, "la période ne peut dépasser 400 jours",           \
	    "the period may not pass 400 days")                               \
	X(BAD_PROJECT_ID,                                                     \
	    "project : un identifiant fait de A-Z a-z 0-9 . _ -",             \
	    "project: an id of A-Z a-z 0-9 . _ -")                            \
	X(TOO_MANY_CURVES, "8 courbes au plus à la fois",                     \
	    "at most 8 curves at once")                                       \
	X(BAD_FORMAT, "format : csv attendu", "format: expected csv")         \
	X(BAD_PRESET, "preset : un nom de la liste",                          \
	    "preset: a name of the list")                                     \
	X(BAD_NORM, "norm : élève, occupant, m2 ou kwc attendu",              \
	    "norm: expected pupil, occupant, m2 or kwc")                      \
	X(BAD_STEP, "step : 15min, heure, jour, semaine ou mois attendu",     \
	    "step: expected 15min, hour, day, week or month")                 \
	X(STEP_TOO_FINE,                                                      \
	    "step : trop fin pour cette période (3000 valeurs au plus "      \
	    "par courbe)",                                                    \
	    "step: too fine for this period (3000 values at most per "        \
	    "curve)")                                                         \
	X(BAD_RANGE, "début et fin de la période : des dates AAAA-MM-JJ",     \
	    "from, to: dates YYYY-MM-DD")                                     \
	X(BAD_RANGE_SPAN,                                                     \
	    "la période commence au plus tard le jour où elle finit, "      \
	    "3660 jours au plus",                                             \
	    "from, to: from on or before to, at most 3660 days")              \
	/* Kinds of installation (a project's type) */                        \
	X(TYPE_PV, "photovoltaïque", "photovoltaic")                          \
	X(TYPE_WIND, "éolien", "wind")                                        \
	X(TYPE_HYDRO, "hydraulique", "hydro")                                 \
	X(TYPE_OTHER, "autre", "other")                                       \
	/* The known keys of description boxes (web_box_key) */               \
	X(BOX_OCCUPANTS, "Occupants", "Occupants")                            \
	X(BOX_SURFACE, "Surface", "Surface")                                  \
	X(BOX_HEATING, "Chauffage", "Heating")                                \
	X(BOX_HOT_WATER, "Eau chaude", "Hot water")                           \
	X(BOX_PUPILS, "Élèves", "Pupils")                                     \
	X(BOX_CANTEEN, "Cantine", "Canteen")                                  \
	X(BOX_PEAK, "Puissance crête", "Peak power")                          \
	X(BOX_INVERTERS, "Onduleurs", "Inverters")                            \
	X(BOX_INVERTER, "Onduleur", "Inverter")                               \
	X(BOX_ORIENTATION, "Orientation", "Orientation")                      \
	X(BOX_COMMISSIONED, "Mise en service", "Commissioned")                \
	X(BOX_REGISTER, "Registre", "Register")                               \
	X(BOX_MEASURES, "Mesure", "Measures")                                 \
	X(BOX_RESOLUTION, "Résolution", "Resolution")                         \
	X(BOX_ADDRESS, "Adresse", "Address")                                  \
	X(BOX_BUILT, "Construction", "Built")                                 \
	X(BOX_INSULATION, "Isolation", "Insulation")                          \
	X(BOX_CONTRACT, "Abonnement", "Contract")                             \
	X(BOX_STORAGE, "Stockage", "Storage")                                 \
	X(BOX_METER, "Relevé", "Meter reading")                               \
	X(BOX_PANELS, "Panneaux", "Panels")                                   \
	X(ID, "Identifiant", "Id")                                            \
	X(UNIT_KWP, "kWc", "kWp")                                             \
	/* The alarms page */                                                 \
	X(ALARMS, "Alarmes", "Alarms")                                        \
	X(ALARMS_INTRO, "Les alarmes des séries que vous pouvez voir.",       \
	    "The alarms of the series you may see.")                          \
	X(ACTIVE_ALARMS, "En cours", "Active")                                \
	X(PAST_ALARMS, "Passées", "Past")                                     \
	X(NO_ALARM, "Aucune alarme.", "No alarm.")                            \
	X(WHAT, "Quoi", "What")                                               \
	X(RAISED, "Levée le", "Raised")                                       \
	X(ENDED, "Terminée le", "Cleared")                                    \
	X(VALUE, "Valeur", "Value")                                           \
	X(RULE, "Règle", "Rule")                                              \
	X(ACKED, "Acquittée", "Acknowledged")                                 \
	X(BY, "par", "by")                                                    \
	X(NOT_ACKED, "pas encore", "not yet")                                 \
	X(ACK, "Acquitter", "Acknowledge")                                    \
	X(ACKED_OK, "Alarme acquittée.", "Alarm acknowledged.")               \
	X(ACK_REFUSED, "Vous ne pouvez pas acquitter cette alarme.",          \
	    "You may not acknowledge this alarm.")                            \
	X(BAD_ALARM, "id : un numéro d'alarme", "id: an alarm number")        \
	X(ALARM_THRESHOLD, "seuil franchi", "threshold crossed")              \
	X(ALARM_STALE, "plus de nouvelles données", "no new data")            \
	X(ALARM_DAYLIGHT, "pas de production en plein jour",                  \
	    "no production in daylight")                                      \
	X(ALARM_SIBLING, "en retrait de ses voisins", "behind its siblings")  \
	X(ALARM_DAILY, "journée inhabituelle", "unusual day")                 \
	/* Curves, classes, holdings and projects */                          \
	X(TOTAL_SHARES, "Parts au total", "Total shares")                     \
	X(ACQUIRED, "Date d'acquisition", "Acquired on")                      \
	X(ACQUIRED_FIELD, "Acquises le (AAAA-MM-JJ, vide : aujourd'hui)",     \
	    "Acquired on (YYYY-MM-DD, empty: today)")                         \
	X(REMOVE_TITLE, "Retirer cette participation ?",                      \
	    "Remove this holding?")                                           \
	X(REMOVE_EXPLAIN,                                                     \
	    "Ses chiffres disparaîtront du tableau de bord. Vous "           \
	    "pourrez la saisir de nouveau.",                                  \
	    "Its figures will leave the dashboard. You can enter "            \
	    "it again.")                                                      \
	X(DATA_UNAVAILABLE,                                                   \
	    "Les données de production de ce projet sont "                   \
	    "indisponibles pour l'instant ; les autres projets ne"            \
	    " sont pas touchés.",                                             \
	    "This project's production data is unavailable for "              \
	    "now; the other projects are not affected.")                      \
	X(ARCHIVE, "Archiver", "Archive")                                     \
	X(UNARCHIVE, "Désarchiver", "Unarchive")                              \
	X(ARCHIVED, "archivé", "archived")                                    \
	X(DELETE, "Supprimer", "Delete")                                      \
	X(DELETE_TITLE, "Supprimer ce projet ?", "Delete this project?")      \
	X(DELETE_EXPLAIN,                                                     \
	    "Seul un projet dont personne ne détient de parts "              \
	    "peut être supprimé ; sinon, archivez-le.",                       \
	    "Only a project nobody holds shares of can be "                   \
	    "deleted; otherwise archive it.")                                 \
	X(PER_HOUR, "par heure", "per hour")                                  \
	X(PER_15MIN, "par 15 minutes", "per 15 minutes")                      \
	X(PER_DAY, "par jour", "per day")                                     \
	X(PER_WEEK, "par semaine", "per week")                                \
	X(PER_MONTH, "par mois", "per month")                                 \
	X(PER_5MIN, "par 5 minutes", "per 5 minutes")                         \
	X(FREE_RANGE, "Période libre", "Free range")                          \
	X(BUCKET, "Pas", "Step")                                              \
	X(AUTO, "automatique", "automatic")                                   \
	X(DOWNLOAD_CSV, "Télécharger ces données (CSV)",                      \
	    "Download this data (CSV)")                                       \
	X(DATA_TABLE, "Tableau des valeurs", "Table of values")               \
	X(PRESETS, "Comparaisons enregistrées", "Saved comparisons")          \
	X(SAVE_PRESET, "Enregistrer cette comparaison sous le nom",           \
	    "Save this comparison as")                                        \
	X(NO_PRESET, "Aucune comparaison enregistrée.",                       \
	    "No saved comparison.")                                           \
	X(PRESET_DELETE_TITLE, "Supprimer cette comparaison ?",               \
	    "Delete this saved comparison?")                                  \
	X(PRESET_DELETE_EXPLAIN,                                              \
	    "Elle quittera la liste de la classe ; aucune donnée n'est "     \
	    "touchée.",                                                       \
	    "It will leave the class's list; no data is touched.")            \
	X(PRESET_AUTHOR, "enregistrée par", "saved by")                       \
	X(PRESET_DELETED, "Comparaison supprimée.",                           \
	    "Saved comparison deleted.")                                      \
	X(NOT_SHARED, "non partagée avec vous", "not shared with you")        \
	X(NORMALISE, "Ramener", "Normalise")                                  \
	X(NORM_NONE, "valeurs brutes", "raw values")                          \
	X(NORM_PUPIL, "par élève", "per pupil")                               \
	X(NORM_OCCUPANT, "par occupant", "per occupant")                      \
	X(NORM_M2, "par m²", "per m²")                                        \
	X(NORM_KWC, "par kWc", "per kWp")                                     \
	X(NORM_MISSING, "sa fiche ne donne pas ce fait : valeurs brutes",     \
	    "its box does not give this fact: raw values")                    \
	X(SELF_CONSUMPTION, "Autoconsommation", "Self-consumption")           \
	X(SELF_EXPLAIN,                                                       \
	    "Heure par heure, la part de votre consommation "                 \
	    "couverte par la production de vos parts.",                       \
	    "Hour by hour, the part of your consumption covered "             \
	    "by your shares' production.")                                    \
	X(COVERED_PART, "part couverte", "part covered")

typedef enum web_str {
#define WEB__STR_ENUM(id, fr, en) WEB_S_##id,
	WEB_STRINGS(WEB__STR_ENUM)
#undef WEB__STR_ENUM
	WEB_S__COUNT
} web_str;

// The string id in lang. Static, never NULL.
const char *web_tr(web_lang lang, web_str id);

// "en" (any case) is English; anything else, NULL included, French.
web_lang web_lang_parse(const char *s);

// The colon after a label: "\u202f:" in French (a narrow no-break space
// before it), ":" in English.
const char *web_colon(web_lang lang);

// "fr" or "en".
const char *web_lang_code(web_lang lang);

// A description box's key in lang when it is one of fed-web's vocabulary
// ("type", "occupants", "surface", "peak power", "inverters", "heating"...,
// any case); NULL otherwise: a key outside it is the owner's free text,
// shown as given.
const char *web_box_key(web_lang lang, const char *key);

// A project's installation type (1 photovoltaic .. 4 other) in lang;
// "—" for any other value.
const char *web_type_name(web_lang lang, int type);

// v with `decimals` decimals in lang's notation ("1 234,5" / "1,234.5").
void web_fmt_num(char *buf, size_t len, web_lang lang, double v, int decimals);

// An energy in Wh with a fitting unit and 3 significant digits or so:
// "87,8 Wh", "12,3 kWh", "1,23 MWh".
void web_fmt_energy(char *buf, size_t len, web_lang lang, double wh);

// A power in W: "850 W", "3,2 kW".
void web_fmt_power(char *buf, size_t len, web_lang lang, double w);

// Euro cents as "1 000 €" (no decimals when whole) or "12,50 €".
void web_fmt_eur(char *buf, size_t len, web_lang lang, int64_t cents);

// A fraction as a percentage with 2 decimals: "2,94 %".
void web_fmt_pct(char *buf, size_t len, web_lang lang, double fraction);

// The local date of utc_ms, "28/11/2026" (fr) or "2026-11-28" (en).
void web_fmt_date(
    char *buf, size_t len, web_lang lang, const fed_tz *tz, int64_t utc_ms);

// The local date and time, "28/11/2026 14:05" or "2026-11-28 14:05".
void web_fmt_datetime(
    char *buf, size_t len, web_lang lang, const fed_tz *tz, int64_t utc_ms);

// The local date as an ISO date "2026-11-28" (for links and forms).
void web_fmt_isodate(char *buf, size_t len, const fed_tz *tz, int64_t utc_ms);

#endif // WEB_I18N_H
