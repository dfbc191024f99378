import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/errors";
import { SignIn } from "./SignIn";

describe("SignIn", () => {
  it("asks for the token in a labelled password field", () => {
    render(<SignIn onSignIn={vi.fn()} />);
    const field = screen.getByLabelText("API token");
    expect(field).toHaveAttribute("type", "password");
  });

  it("hands the typed token over on submit", async () => {
    const onSignIn = vi.fn().mockResolvedValue(undefined);
    render(<SignIn onSignIn={onSignIn} />);
    await userEvent.type(screen.getByLabelText("API token"), "  sp_secret  ");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(onSignIn).toHaveBeenCalledWith("sp_secret");
    expect(window.location.href).not.toContain("sp_secret");
  });

  it("shows why a token was refused, next to the field", async () => {
    const onSignIn = vi.fn().mockRejectedValue(new ApiError("UNAUTHENTICATED", "the bearer token is unknown or revoked"));
    render(<SignIn onSignIn={onSignIn} />);
    await userEvent.type(screen.getByLabelText("API token"), "wrong");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Your token was not accepted");
    expect(screen.getByLabelText("API token")).toHaveAttribute("aria-invalid", "true");
  });

  it("refuses an empty token without asking the server", async () => {
    const onSignIn = vi.fn();
    render(<SignIn onSignIn={onSignIn} />);
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(onSignIn).not.toHaveBeenCalled();
    expect(screen.getByRole("alert")).toHaveTextContent("Paste the API token");
  });
});
