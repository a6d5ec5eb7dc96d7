using System.Globalization;

namespace Tribuo.Gateway.Login;

/// <summary>
/// Every sentence of the login hub's pages, once per language. A typed record rather than resx: the two
/// languages are checked by the compiler to have the same texts, and nothing depends on satellite assemblies
/// or on culture data, which the gateway does not ship (InvariantGlobalization).
/// </summary>
internal sealed record LoginTexts
{
    /// <summary>The languages offered, the first being the default when <c>Accept-Language</c> names none of them.</summary>
    public static readonly IReadOnlyList<string> Languages = ["en", "fr"];

    public required string Language { get; init; }
    public required string LoginTitle { get; init; }
    public required string LoginHeading { get; init; }
    public required Func<string, string> ToContinueTo { get; init; }
    public required Func<string, string, string> LoggedInAs { get; init; }
    public required string LogOut { get; init; }
    public required string SwitchAccount { get; init; }
    public required Func<string, string> ContinueWith { get; init; }
    public required string Email { get; init; }
    public required string Password { get; init; }
    public required string LogInWithPassword { get; init; }
    public required string LogoutTitle { get; init; }
    public required string LogoutHeading { get; init; }
    public required string UnavailableTitle { get; init; }
    public required string UnavailableSentence { get; init; }
    public required string GoBack { get; init; }
    public required string LoginNotCompleted { get; init; }
    public required string InvalidLoginLink { get; init; }
    public required string InvalidLogoutLink { get; init; }
    public required string UnknownProviderTitle { get; init; }
    public required Func<string, string> UnknownProvider { get; init; }
    public required string CrossSiteFormTitle { get; init; }
    public required string CrossSiteFormSentence { get; init; }
    public required string FormTooLargeTitle { get; init; }
    public required Func<int, string> FormTooLarge { get; init; }
    public required IReadOnlyDictionary<string, string> Errors { get; init; }
    public required string UnknownError { get; init; }

    public static readonly LoginTexts English = new()
    {
        Language = "en",
        LoginTitle = "Log in · Tribuo",
        LoginHeading = "Log in to Tribuo",
        ToContinueTo = site => $"to continue to {site}",
        LoggedInAs = (name, email) => $"You are logged in as {name} ({email}).",
        LogOut = "Log out",
        SwitchAccount = "Or switch account:",
        ContinueWith = provider => $"Continue with {provider}",
        Email = "E-mail",
        Password = "Password",
        LogInWithPassword = "Log in with a password",
        LogoutTitle = "Log out · Tribuo",
        LogoutHeading = "Log out of Tribuo?",
        UnavailableTitle = "The login service is unavailable",
        UnavailableSentence = "The login service cannot reach its storage right now. Nothing was changed; please try again in a moment.",
        GoBack = "Go back to the site you came from and follow its login link again.",
        LoginNotCompleted = "The login could not be completed",
        InvalidLoginLink = "This login link is not valid",
        InvalidLogoutLink = "This logout link is not valid",
        UnknownProviderTitle = "Unknown login provider",
        UnknownProvider = name => $"There is no login provider named '{name}'.",
        CrossSiteFormTitle = "This login form was not sent from the login page",
        CrossSiteFormSentence = "Open the login page of the site you want to use and log in there.",
        FormTooLargeTitle = "The login form is too large",
        FormTooLarge = kilobytes => $"The login form takes at most {kilobytes} KB.",
        Errors = new Dictionary<string, string>
        {
            ["permission"] = "Your account does not have access to that site. Log in with another account, or ask an administrator for access.",
            ["expired"] = "Your session has expired. Please log in again.",
            ["cookies"] = "Your browser sent two session cookies for this site, so neither could be used. The gateway cleared its own; if this message comes back, clear this site's cookies in your browser, then log in again.",
            ["denied"] = "The login was cancelled at the identity provider.",
            ["provider"] = "The identity provider could not be reached or gave an answer the gateway could not accept. Please try again.",
            ["state"] = "This login link was already used or has expired. Please start again.",
            ["link"] = "An account with this e-mail already exists, and this login cannot be joined to it. Log in the way you did before (or with a provider that has verified your e-mail).",
            ["password"] = "The e-mail or the password is not correct.",
            ["locked"] = "Too many failed attempts. Please wait a few minutes before trying again.",
        },
        UnknownError = "The login could not be completed. Please try again.",
    };

    public static readonly LoginTexts French = new()
    {
        Language = "fr",
        LoginTitle = "Connexion · Tribuo",
        LoginHeading = "Connexion à Tribuo",
        ToContinueTo = site => $"pour continuer vers {site}",
        LoggedInAs = (name, email) => $"Vous êtes connecté avec le compte {name} ({email}).",
        LogOut = "Se déconnecter",
        SwitchAccount = "Ou changez de compte :",
        ContinueWith = provider => $"Continuer avec {provider}",
        Email = "Adresse e-mail",
        Password = "Mot de passe",
        LogInWithPassword = "Se connecter avec un mot de passe",
        LogoutTitle = "Déconnexion · Tribuo",
        LogoutHeading = "Se déconnecter de Tribuo ?",
        UnavailableTitle = "Le service de connexion est indisponible",
        UnavailableSentence = "Le service de connexion ne peut pas joindre son stockage pour le moment. Rien n’a été modifié ; veuillez réessayer dans un instant.",
        GoBack = "Revenez au site d’où vous venez et suivez à nouveau son lien de connexion.",
        LoginNotCompleted = "La connexion n’a pas pu aboutir",
        InvalidLoginLink = "Ce lien de connexion n’est pas valide",
        InvalidLogoutLink = "Ce lien de déconnexion n’est pas valide",
        UnknownProviderTitle = "Fournisseur de connexion inconnu",
        UnknownProvider = name => $"Il n’existe aucun fournisseur de connexion nommé « {name} ».",
        CrossSiteFormTitle = "Ce formulaire de connexion n’a pas été envoyé depuis la page de connexion",
        CrossSiteFormSentence = "Ouvrez la page de connexion du site que vous voulez utiliser et connectez-vous depuis celle-ci.",
        FormTooLargeTitle = "Le formulaire de connexion est trop volumineux",
        FormTooLarge = kilobytes => $"Le formulaire de connexion accepte au plus {kilobytes} Ko.",
        Errors = new Dictionary<string, string>
        {
            ["permission"] = "Votre compte n’a pas accès à ce site. Connectez-vous avec un autre compte, ou demandez l’accès à un administrateur.",
            ["expired"] = "Votre session a expiré. Veuillez vous reconnecter.",
            ["cookies"] = "Votre navigateur a envoyé deux cookies de session pour ce site : aucun n’a pu être utilisé. La passerelle a effacé le sien ; si ce message revient, effacez les cookies de ce site dans votre navigateur, puis reconnectez-vous.",
            ["denied"] = "La connexion a été annulée chez le fournisseur d’identité.",
            ["provider"] = "Le fournisseur d’identité n’a pas pu être joint ou a donné une réponse que la passerelle ne peut pas accepter. Veuillez réessayer.",
            ["state"] = "Ce lien de connexion a déjà été utilisé ou a expiré. Veuillez recommencer.",
            ["link"] = "Un compte existe déjà avec cette adresse e-mail, et cette connexion ne peut pas y être rattachée. Connectez-vous comme la dernière fois (ou avec un fournisseur qui a vérifié votre adresse e-mail).",
            ["password"] = "L’adresse e-mail ou le mot de passe est incorrect.",
            ["locked"] = "Trop de tentatives échouées. Veuillez patienter quelques minutes avant de réessayer.",
        },
        UnknownError = "La connexion n’a pas pu aboutir. Veuillez réessayer.",
    };

    /// <summary>
    /// The texts for the request's UI culture, which request localization chose from <c>Accept-Language</c>
    /// among <see cref="Languages"/> (see <see cref="LoginLocalization"/>).
    /// </summary>
    public static LoginTexts Current => CultureInfo.CurrentUICulture.Name == French.Language ? French : English;

    /// <summary>The sentence for an <c>error</c> value of the login page; an unknown value gets a generic one, never a pass.</summary>
    public string? ErrorSentence(string? error) => string.IsNullOrEmpty(error) ? null : Errors.GetValueOrDefault(error, UnknownError);
}
