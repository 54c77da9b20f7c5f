import BitbucketKit
import Foundation
import TerminalUI
import Testing

@testable import App

/// Issue 19: the setup screen's `update`, exactly: where keys and pastes go, what is sent, and
/// what each answer does.
@Suite struct SetupUpdateTests {
    func setupState() -> AppState {
        var state = Fixtures.state(.login(LoginState()))
        _ = Update.update(
            &state,
            .setupNeeded(reason: "BITBUCKET_CLIENT_ID is not set.", callbackURL: "http://127.0.0.1:8976/callback"))
        return state
    }

    @Test func typingMovesFromTheKeyToTheSecretAndEnterChecksBoth() {
        var state = setupState()
        #expect(state.login?.setup?.focus == nil)
        #expect(Update.update(&state, .event(.key(.character("i")))) == [])
        for character in "k3y" { _ = Update.update(&state, .event(.key(.character(character)))) }
        #expect(Update.update(&state, .event(.key(.enter))) == [])
        #expect(state.login?.setup?.focus == .secret)
        // An empty Secret is named, and nothing is sent.
        #expect(Update.update(&state, .event(.key(.enter))) == [])
        #expect(state.login?.setup?.problem == "The Secret is empty.")
        for character in "s3cret" { _ = Update.update(&state, .event(.key(.character(character)))) }
        #expect(state.login?.setup?.problem == nil)
        #expect(Update.update(&state, .event(.key(.enter))) == [.setUpConsumer(key: "k3y", secret: "s3cret")])
        #expect(state.login?.setup?.isChecking == true)
        // A second Enter while Bitbucket is asked sends nothing more.
        #expect(Update.update(&state, .event(.key(.enter))) == [])
    }

    @Test func aPasteFillsTheFieldWithoutTheSpaceAroundACopy() {
        var state = setupState()
        _ = Update.update(&state, .event(.paste("  emuKey4bbtuiDemo01\n")))
        #expect(state.login?.setup?.key.text == "emuKey4bbtuiDemo01")
        _ = Update.update(&state, .event(.key(.tab)))
        _ = Update.update(&state, .event(.paste("secret0\r\n")))
        #expect(state.login?.setup?.secret.text == "secret0")
        #expect(state.login?.setup?.focus == .secret)
    }

    @Test func yCopiesTheCallbackURLAndTheFooterOffersNoLoginURLKeys() {
        var state = setupState()
        #expect(
            Update.update(&state, .event(.key(.character("y"))))
                == [.copy("http://127.0.0.1:8976/callback", what: "the callback URL")])
        #expect(
            Update.update(&state, .event(.key(.character("p")))) == [.showPlainly("http://127.0.0.1:8976/callback")])
        let keys = Keymap.standard.hints(.setup).map(\.key)
        #expect(!keys.contains("o") && !keys.contains("w"))
    }

    @Test func aRefusalNamesItAndAcceptanceMakesTheLoginURL() {
        var state = setupState()
        _ = Update.update(&state, .consumerSetUp(.refused("Bitbucket refused this Key and Secret (x).")))
        #expect(state.login?.setup?.problem == "Bitbucket refused this Key and Secret (x).")
        #expect(state.login?.setup?.focus == .secret)
        let configuration = OAuthConfiguration(clientID: "k", clientSecret: "s")
        #expect(
            Update.update(
                &state, .consumerSetUp(.saved(path: "/home/z/.config/bbtui/config", configuration: configuration)))
                == [.prepareLogin])
        #expect(state.login?.setup == nil)
        #expect(
            state.message?.text == "Key and Secret accepted, and saved in /home/z/.config/bbtui/config (mode 0600).")
    }

    @Test func tSwitchesToAnAPITokenAndBack() {
        var state = setupState()
        _ = Update.update(&state, .event(.key(.character("t"))))
        #expect(state.login?.setup?.kind == .apiToken)
        #expect(state.login?.setup?.callbackURL == OAuthError.apiTokenPage)
        _ = Update.update(&state, .event(.paste("zoe@example.com")))
        _ = Update.update(&state, .event(.key(.enter)))
        _ = Update.update(&state, .event(.paste("ATATT3x")))
        #expect(
            Update.update(&state, .event(.key(.enter))) == [
                .logInWithAPIToken(email: "zoe@example.com", token: "ATATT3x")
            ])
        _ = Update.update(&state, .apiTokenFailed("Bitbucket refused the email and API token (HTTP 401)."))
        #expect(state.login?.setup?.problem == "Bitbucket refused the email and API token (HTTP 401).")
        #expect(state.login?.setup?.isChecking == false)
        _ = Update.update(&state, .event(.key(.escape)))
        _ = Update.update(&state, .event(.key(.character("t"))))
        // Back to the consumer's setup, as it was.
        #expect(state.login?.setup?.kind == .consumer)
        #expect(state.login?.setup?.callbackURL == "http://127.0.0.1:8976/callback")
        // From a working login screen, t and t again come back to its URL.
        var login = Fixtures.state(.login(Fixtures.login()))
        _ = Update.update(&login, .event(.key(.character("t"))))
        #expect(login.login?.setup?.kind == .apiToken)
        _ = Update.update(&login, .event(.key(.character("t"))))
        #expect(login.login?.setup == nil)
        #expect(login.login?.request != nil)
    }

    @Test func anAPITokenFormRefusesWhatIsNotAnEmail() {
        var state = Fixtures.state(.login(Fixtures.login()))
        _ = Update.update(&state, .event(.key(.character("t"))))
        _ = Update.update(&state, .event(.paste("zoe")))
        _ = Update.update(&state, .event(.key(.tab)))
        _ = Update.update(&state, .event(.paste("tok")))
        #expect(Update.update(&state, .event(.key(.enter))) == [])
        #expect(state.login?.setup?.problem == "The email is not an email address.")
    }
}
