using System.Globalization;

namespace Tribuo.Gateway.OperatorsConsole;

/// <summary>
/// Every sentence of the console, in English and French side by side (the language chosen from
/// <c>Accept-Language</c> by the same request localization as the login pages). One line per text, both languages on
/// it, so a text cannot exist in one language only; identifiers, scopes and audit events stay as they are stored.
/// </summary>
internal sealed class ConsoleTexts
{
    public static readonly ConsoleTexts English = new(french: false);
    public static readonly ConsoleTexts French = new(french: true);

    private readonly bool _french;

    private ConsoleTexts(bool french) => _french = french;

    /// <summary>The texts for the request's UI culture (see <see cref="Login.LoginLocalization"/>).</summary>
    public static ConsoleTexts Current => CultureInfo.CurrentUICulture.Name == "fr" ? French : English;

    private string T(string english, string french) => _french ? french : english;

    public string Language => T("en", "fr");
    public string ConsoleTitle => T("Tribuo Gateway console", "Console Tribuo Gateway");
    public string Keys => T("Keys", "Clés");
    public string Users => T("Users", "Utilisateurs");
    public string Routes => T("Routes", "Routes");
    public string Audit => T("Audit", "Journal d’audit");

    public string UnavailableTitle => T("The console is unavailable", "La console est indisponible");
    public string UnavailableSentence => T("The gateway cannot check sessions right now. Nothing was changed; please try again in a moment.",
        "La passerelle ne peut pas vérifier les sessions pour le moment. Rien n’a été modifié ; veuillez réessayer dans un instant.");
    public string StoreUnavailableTitle => T("A store is unreachable", "Un stockage est injoignable");
    public string StoreUnavailableSentence => T("The key store or the users' database did not answer. Reload the page in a moment to see where things stand.",
        "Le stockage des clés ou la base des utilisateurs n’a pas répondu. Rechargez la page dans un instant pour voir où en sont les choses.");
    public string SignInTitle => T("Log in first", "Connectez-vous d’abord");
    public string SignInSentence => T("The console is for people logged in through the gateway's login page. Open the console in your browser to log in.",
        "La console est réservée aux personnes connectées par la page de connexion de la passerelle. Ouvrez la console dans votre navigateur pour vous connecter.");
    public string NotAllowedTitle => T("Not allowed", "Accès refusé");
    public string NotAllowed(string email, string role) => T(
        $"You are logged in as {email}, whose role '{role}' does not give access to the operators' console. Ask an administrator, or log in with another account.",
        $"Vous êtes connecté avec le compte {email}, dont le rôle « {role} » ne donne pas accès à la console d’exploitation. Demandez à un administrateur, ou connectez-vous avec un autre compte.");
    public string SwitchAccount => T("Log in with another account", "Se connecter avec un autre compte");
    public string FormRefusedTitle => T("This form was not sent from the console", "Ce formulaire n’a pas été envoyé depuis la console");
    public string FormRefused => T("The form did not come from a console page opened by you (or that page is too old). Nothing was changed: reload the page and try again.",
        "Le formulaire ne vient pas d’une page de la console que vous avez ouverte (ou cette page est trop ancienne). Rien n’a été modifié : rechargez la page et réessayez.");
    public string FormTooLargeTitle => T("This form is too large", "Ce formulaire est trop volumineux");
    public string FormTooLarge(int kilobytes) => T($"The console's forms take at most {kilobytes} KB. Nothing was changed: shorten what you typed and try again.",
        $"Les formulaires de la console font au plus {kilobytes} Ko. Rien n’a été modifié : raccourcissez ce que vous avez saisi et réessayez.");
    public string FormTypeTitle => T("This is not a form", "Ce n’est pas un formulaire");
    public string FormType => T("The console takes forms (application/x-www-form-urlencoded or multipart/form-data), not a body of another content type. Nothing was changed.",
        "La console reçoit des formulaires (application/x-www-form-urlencoded ou multipart/form-data), pas un corps d’un autre type. Rien n’a été modifié.");
    public string FormUnreadableTitle => T("This form cannot be read", "Ce formulaire ne peut pas être lu");
    public string FormUnreadable => T("The form has too many fields, a field name too long, or a malformed body. Nothing was changed.",
        "Le formulaire a trop de champs, un nom de champ trop long ou un corps mal formé. Rien n’a été modifié.");

    public string Search => T("Search", "Rechercher");
    public string SearchIn => T("In", "Dans");
    public string SearchById => T("Id (starts with)", "Identifiant (commence par)");
    public string SearchByName => T("Name (contains)", "Nom (contient)");
    public string SearchByScope => T("Scope (holds)", "Portée (détenue)");
    public string SearchByUser => T("User id", "Identifiant d’utilisateur");
    public string SearchUsers => T("E-mail, name or id", "Adresse e-mail, nom ou identifiant");
    public string Filter => T("Filter", "Filtrer");
    public string AnyStatus => T("Any status", "Tous les états");
    public string NextPage => T("Next page →", "Page suivante →");
    public string StatusLabel => T("Status", "État");
    public string Status(string status) => status switch
    {
        "active" => T("active", "active"),
        "expired" => T("expired", "expirée"),
        "disabled" => T("disabled", "désactivée"),
        "revoked" => T("revoked", "révoquée"),
        _ => status,
    };

    public string Id => T("Id", "Identifiant");
    public string Name => T("Name", "Nom");
    public string ScopesLabel => T("Scopes", "Portées");
    public string OriginsLabel => T("Origins", "Origines");
    public string ExpiresLabel => T("Expires", "Expire");
    public string RateLimitsLabel => T("Rate limits", "Limites de débit");
    public string UserLabel => T("User", "Utilisateur");
    public string KeyLabel => T("Key", "Clé");
    public string LastUsed => T("Last used", "Dernière utilisation");
    public string Created => T("Created", "Création");
    public string Never => T("never", "jamais");
    public string Yes => T("yes", "oui");
    public string No => T("no", "non");
    public string IdHint => T("Letters, digits and . _ : @ -", "Lettres, chiffres et . _ : @ -");
    public string ScopesHint => T("Separated by spaces; * for every route", "Séparées par des espaces ; * pour toutes les routes");
    public string OriginsHint => T("Site keys only: https://site.example, separated by spaces", "Clés de site seulement : https://site.exemple, séparées par des espaces");
    public string ExpiresHint => T("Empty: never (UTC midnight)", "Vide : jamais (minuit UTC)");
    public string RateLimitsHint => T("e.g. 100/1s 100000/1d; empty: none", "p. ex. 100/1s 100000/1d ; vide : aucune");
    public string UserIdHint => T("Optional: the key then acts as that user", "Facultatif : la clé agit alors comme cet utilisateur");
    public string BadDate => T("The expiry is not a date (yyyy-mm-dd).", "L’expiration n’est pas une date (aaaa-mm-jj).");

    public string NewKey => T("New key", "Nouvelle clé");
    public string CreateKey => T("Create the key", "Créer la clé");
    public string NoKeys => T("No key matches.", "Aucune clé ne correspond.");
    public string KeyCreated(string id) => T($"Key {id} created", $"Clé {id} créée");
    public string KeyRotated(string id) => T($"Key {id} has a new secret", $"La clé {id} a un nouveau secret");
    public string SecretOnce => T("This is the key's secret. It is shown now and never again: copy it into the application that uses the key.",
        "Voici le secret de la clé. Il est affiché maintenant et plus jamais : copiez-le dans l’application qui utilise la clé.");
    public string Secret => T("Secret", "Secret");
    public string SecretUsage => T("Send it as the header Authorization: KEY <secret>.", "Envoyez-le dans l’en-tête Authorization: KEY <secret>.");
    public string Copy => T("Copy", "Copier");
    public string Copied => T("Copied", "Copié");
    public string BackToKey(string id) => T($"Back to key {id}", $"Revenir à la clé {id}");
    public string KeyHeading(string id) => T($"Key {id}", $"Clé {id}");
    public string KeyIsRevoked(string id) => T($"Key {id} is revoked: it cannot be enabled, disabled or edited. Nothing was changed; create a new key instead.",
        $"La clé {id} est révoquée : elle ne peut être ni activée, ni désactivée, ni modifiée. Rien n’a été modifié ; créez plutôt une nouvelle clé.");
    public string NoSuchKey(string id) => T($"There is no key '{id}'.", $"Il n’existe pas de clé « {id} ».");
    public string Rotate => T("Rotate (new secret)", "Renouveler le secret");
    public string Disable => T("Disable", "Désactiver");
    public string Enable => T("Enable", "Réactiver");
    public string Revoke => T("Revoke", "Révoquer");
    public string EditKey => T("Edit", "Modifier");
    public string Save => T("Save", "Enregistrer");
    public string RoutesReached => T("Routes this key can reach", "Routes que cette clé peut atteindre");
    public string NoRoutesReached => T("This key reaches no route.", "Cette clé n’atteint aucune route.");
    public string InactiveReachesNothing => T("An inactive key reaches no route.", "Une clé inactive n’atteint aucune route.");

    /// <summary>The confirmation of a change just made; null for an unknown value (never shown as given).</summary>
    public string? Done(string? done) => done switch
    {
        "updated" => T("The key was saved.", "La clé a été enregistrée."),
        "revoked" => T("The key was revoked: it no longer works anywhere.", "La clé a été révoquée : elle ne fonctionne plus nulle part."),
        "disabled" => T("The key was disabled.", "La clé a été désactivée."),
        "enabled" => T("The key was enabled.", "La clé a été réactivée."),
        "role" => T("The role was changed; the user's API token follows it.", "Le rôle a été modifié ; le jeton d’API de l’utilisateur suit."),
        "saved" => T("routes.json was saved and is now in force.", "routes.json a été enregistré et s’applique désormais."),
        "saved-not-loaded" => T("routes.json was saved, but the gateway refused to load it: see the last reload error.",
            "routes.json a été enregistré, mais la passerelle a refusé de le charger : voir la dernière erreur de rechargement."),
        _ => null,
    };

    public string Email => T("E-mail", "Adresse e-mail");
    public string RoleLabel => T("Role", "Rôle");
    public string CompanyLabel => T("Company", "Entreprise");
    public string LastLogin => T("Last login", "Dernière connexion");
    public string NoUsers => T("No user matches.", "Aucun utilisateur ne correspond.");
    public string NoSuchUser(string id) => T($"There is no user '{id}'.", $"Il n’existe pas d’utilisateur « {id} ».");
    public string ChangeRole => T("Change the role", "Changer le rôle");
    public string RoleHint => T("e.g. admin or default; the user's API token gets the role's scopes", "p. ex. admin ou default ; le jeton d’API de l’utilisateur reçoit les portées du rôle");
    public string Identities => T("Identities", "Identités");
    public string Provider => T("Provider", "Fournisseur");
    public string Subject => T("Subject", "Identifiant chez le fournisseur");
    public string EmailVerified => T("E-mail verified", "Adresse vérifiée");
    public string Linked => T("Linked", "Liée le");
    public string NoIdentities => T("No identity (an account from before single sign-on).", "Aucune identité (un compte d’avant l’authentification unique).");

    public string File => T("File", "Fichier");
    public string LoadedAt => T("Loaded", "Chargé le");
    public string Clusters => T("clusters", "clusters");
    public string LastReloadError => T("Last reload error", "Dernière erreur de rechargement");
    public string NoneSince => T("none since it was loaded", "aucune depuis le chargement");
    public string Route => T("Route", "Route");
    public string Match => T("Match", "Correspondance");
    public string AuthLabel => T("Auth", "Authentification");
    public string RolesLabel => T("Roles", "Rôles");
    public string CompaniesLabel => T("Companies", "Entreprises");
    public string LimitLabel => T("Rate limit", "Limite de débit");
    public string NoRoutes => T("No route is loaded.", "Aucune route n’est chargée.");
    public string NoSuchRoute(string id) => T($"There is no route '{id}' in force.", $"Aucune route « {id} » n’est en vigueur.");
    public string RouteHeading(string id) => T($"Route {id}", $"Route {id}");
    public string WhoCanReach => T("Who can reach it", "Qui peut l’atteindre");
    public string Everybody => T("Everybody: the route is public, no credential is checked.", "Tout le monde : la route est publique, aucun identifiant n’est vérifié.");
    public string KeysReaching(int count) => T($"Keys that can reach it ({count})", $"Clés qui peuvent l’atteindre ({count})");
    public string RolesReaching(int count) => T($"Roles that can reach it through a login ({count})", $"Rôles qui peuvent l’atteindre par une connexion ({count})");
    public string NoKeyReaches => T("No active key can reach this route.", "Aucune clé active ne peut atteindre cette route.");
    public string NoRoleReaches => T("No role: the route does not admit logged-in people.", "Aucun rôle : la route n’admet pas les personnes connectées.");
    public string OnlyFrom(string origins) => T($"only from {origins}", $"seulement depuis {origins}");
    public string OfCompanies(string companies) => T($"people of {companies} only", $"personnes de {companies} seulement");
    public string EditAccess => T("Edit who can reach it", "Modifier qui peut l’atteindre");
    public string RouteScopesHint => T("Keys holding one of them (none: only * keys)", "Clés détenant l’une d’elles (aucune : seulement les clés *)");
    public string RouteRolesHint => T("Users with one of these roles (none: any role)", "Utilisateurs ayant l’un de ces rôles (aucun : tous les rôles)");
    public string RouteCompaniesHint => T("Users of one of these companies (none: any)", "Utilisateurs de l’une de ces entreprises (aucune : toutes)");
    public string RouteLimitHint => T("Per caller, e.g. 600/1m; empty: none", "Par appelant, p. ex. 600/1m ; vide : aucune");
    public string Preview => T("Check and preview", "Vérifier et prévisualiser");
    public string PreviewHeading(string id) => T($"Change of route {id}", $"Modification de la route {id}");
    public string ValidationFailed => T("The new routes.json would be refused (the same checks as routes check):", "Le nouveau routes.json serait refusé (les mêmes vérifications que routes check) :");
    public string ValidationPassed => T("The new routes.json passes every check (the same as routes check).", "Le nouveau routes.json passe toutes les vérifications (les mêmes que routes check).");
    public string RouteNotInFile => T("the route is not in routes.json as it is now.", "la route n’est pas dans routes.json tel qu’il est maintenant.");
    public string Changes => T("Changes", "Modifications");
    public string Field => T("Field", "Champ");
    public string Before => T("Before", "Avant");
    public string After => T("After", "Après");
    public string NoFieldChange => T("Nothing changes.", "Rien ne change.");
    public string AccessChange => T("Who gains or loses the route", "Qui gagne ou perd la route");
    public string NoAccessChange => T("No key or role gains or loses access.", "Aucune clé ni aucun rôle ne gagne ou ne perd l’accès.");
    public string KeysGaining => T("Keys gaining access:", "Clés qui gagnent l’accès :");
    public string KeysLosing => T("Keys losing access:", "Clés qui perdent l’accès :");
    public string RolesGaining => T("Roles gaining access:", "Rôles qui gagnent l’accès :");
    public string RolesLosing => T("Roles losing access:", "Rôles qui perdent l’accès :");
    public string SaveRoutes => T("Save routes.json", "Enregistrer routes.json");
    public string DownloadRoutes => T("Download the new routes.json", "Télécharger le nouveau routes.json");
    public string EditingDisabled => T("Saving from the console is off (Gateway:Console:EditRoutes): download the new file and deploy it as usual.",
        "L’enregistrement depuis la console est désactivé (Gateway:Console:EditRoutes) : téléchargez le nouveau fichier et déployez-le comme d’habitude.");
    public string FileNotWritable => T("The gateway cannot write routes.json (or its folder): download the new file and deploy it as usual.",
        "La passerelle ne peut pas écrire routes.json (ou son dossier) : téléchargez le nouveau fichier et déployez-le comme d’habitude.");
    public string ConcurrentEdit => T("routes.json changed since this change was prepared (someone else edited it). Nothing was written: start again from the file as it is now.",
        "routes.json a changé depuis la préparation de cette modification (quelqu’un d’autre l’a modifié). Rien n’a été écrit : recommencez à partir du fichier actuel.");
    public string RoutesFileUnreadable(string path, string reason) => T(
        $"The routes file on disk ({path}) cannot be read or parsed: {reason} Nothing was written; the gateway keeps serving the routes it loaded last. Fix the file, then start again.",
        $"Le fichier de routes sur le disque ({path}) ne peut pas être lu ou analysé : {reason} Rien n’a été écrit ; la passerelle continue de servir les routes chargées en dernier. Corrigez le fichier, puis recommencez.");
    public string StartOver => T("Start again", "Recommencer");
    public string Cancel => T("Cancel", "Annuler");

    public string Actor => T("Actor", "Auteur");
    public string EventLabel => T("Event", "Événement");
    public string SubjectLabel => T("Subject", "Objet");
    public string When => T("When", "Quand");
    public string Detail => T("Detail", "Détail");
    public string NoEvents => T("No event matches.", "Aucun événement ne correspond.");
}
