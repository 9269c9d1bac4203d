// CCurl: libcurl for Swift.
//
// curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are C variadics, which Swift
// cannot call. Each wrapper below fixes the type of the one variable argument, so the
// Swift side picks the wrapper that matches the option's documented type.

#ifndef WISE_CCURL_SHIM_H
#define WISE_CCURL_SHIM_H

#include <curl/curl.h>

/// A write or header callback: receives `size * nmemb` bytes, returns how many it took.
typedef size_t (*wise_data_callback)(char *data, size_t size, size_t nmemb, void *userdata);

/// A read callback: fills up to `size * nmemb` bytes, returns how many it wrote.
typedef size_t (*wise_read_callback)(char *buffer, size_t size, size_t nmemb, void *userdata);

/// A seek callback: moves the upload source to `offset` (from `origin`, a SEEK_* value) so
/// libcurl can resend a body; returns a CURL_SEEKFUNC_* value.
typedef int (*wise_seek_callback)(void *userdata, curl_off_t offset, int origin);

/// A progress callback (CURLOPT_XFERINFOFUNCTION): returns non-zero to abort the transfer.
typedef int (*wise_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                      curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode wise_easy_setopt_long(CURL *easy, CURLoption option, long value) {
    return curl_easy_setopt(easy, option, value);
}

static inline CURLcode wise_easy_setopt_string(CURL *easy, CURLoption option, const char *value) {
    return curl_easy_setopt(easy, option, value);
}

static inline CURLcode wise_easy_setopt_pointer(CURL *easy, CURLoption option, void *value) {
    return curl_easy_setopt(easy, option, value);
}

static inline CURLcode wise_easy_setopt_off_t(CURL *easy, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(easy, option, value);
}

static inline CURLcode wise_easy_setopt_slist(CURL *easy, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(easy, option, value);
}

static inline CURLcode wise_easy_setopt_data_callback(CURL *easy, CURLoption option,
                                                      wise_data_callback callback) {
    return curl_easy_setopt(easy, option, callback);
}

static inline CURLcode wise_easy_setopt_read_callback(CURL *easy, CURLoption option,
                                                      wise_read_callback callback) {
    return curl_easy_setopt(easy, option, callback);
}

static inline CURLcode wise_easy_setopt_seek_callback(CURL *easy, CURLoption option,
                                                      wise_seek_callback callback) {
    return curl_easy_setopt(easy, option, callback);
}

static inline CURLcode wise_easy_setopt_xferinfo_callback(CURL *easy, CURLoption option,
                                                          wise_xferinfo_callback callback) {
    return curl_easy_setopt(easy, option, callback);
}

static inline CURLcode wise_easy_getinfo_long(CURL *easy, CURLINFO info, long *value) {
    return curl_easy_getinfo(easy, info, value);
}

static inline CURLcode wise_easy_getinfo_double(CURL *easy, CURLINFO info, double *value) {
    return curl_easy_getinfo(easy, info, value);
}

static inline CURLcode wise_easy_getinfo_string(CURL *easy, CURLINFO info, const char **value) {
    // CURLINFO string results are `char *` owned by the handle; const keeps Swift from writing.
    char *result = NULL;
    CURLcode code = curl_easy_getinfo(easy, info, &result);
    *value = result;
    return code;
}

static inline CURLcode wise_easy_getinfo_pointer(CURL *easy, CURLINFO info, void **value) {
    return curl_easy_getinfo(easy, info, value);
}

static inline CURLcode wise_easy_getinfo_off_t(CURL *easy, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(easy, info, value);
}

static inline CURLMcode wise_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

static inline CURLMcode wise_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value) {
    return curl_multi_setopt(multi, option, value);
}

#endif
