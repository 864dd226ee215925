package io.sourceipguard.cluster;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@link ReportAccess.Reviewer} through the Kubernetes API: a TokenReview (authentication.k8s.io/v1)
 * and a SubjectAccessReview (authorization.k8s.io/v1) for a non-resource URL. The webhook's
 * ClusterRole may create both, and nothing more of either API group.
 */
public final class TokenReviewer implements ReportAccess.Reviewer {

    // Resolved at the first review: creating the client loads hundreds of classes.
    private final Supplier<KubernetesClient> client;

    public TokenReviewer(Supplier<KubernetesClient> client) {
        this.client = client;
    }

    @Override
    public Optional<ReportAccess.User> authenticate(String token) {
        // No audiences: the API server's own, which is what `kubectl create token` issues for.
        TokenReview review = client.get()
                .authentication()
                .v1()
                .tokenReviews()
                .create(new TokenReviewBuilder()
                        .withNewSpec()
                        .withToken(token)
                        .endSpec()
                        .build());
        if (review.getStatus() == null
                || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())
                || review.getStatus().getUser() == null) {
            return Optional.empty();
        }
        UserInfo user = review.getStatus().getUser();
        return Optional.of(new ReportAccess.User(
                user.getUsername(),
                user.getUid(),
                user.getGroups() == null ? List.of() : user.getGroups(),
                user.getExtra() == null ? Map.of() : user.getExtra()));
    }

    @Override
    public boolean allowed(ReportAccess.User user, String path, String verb) {
        SubjectAccessReview review = client.get()
                .authorization()
                .v1()
                .subjectAccessReview()
                .create(new SubjectAccessReviewBuilder()
                        .withNewSpec()
                        .withUser(user.name())
                        .withUid(user.uid())
                        .withGroups(user.groups())
                        .withExtra(user.extra())
                        .withNewNonResourceAttributes()
                        .withPath(path)
                        .withVerb(verb)
                        .endNonResourceAttributes()
                        .endSpec()
                        .build());
        return review.getStatus() != null
                && Boolean.TRUE.equals(review.getStatus().getAllowed());
    }
}
